#!/usr/bin/env node
// The main flow on the embedded example: our own `hellotool` wheels (built here, no index needed),
// a fresh Nx workspace with the packed plugin, then generate, lock, build, run, materialize.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { buildFixtureWheels, isolatedEnv, repoRoot } = require('./lib/fixtures');
const { createWorkspace, nx, packPlugin } = require('./lib/workspace');

const base = path.join(repoRoot, '.tmp', 'example');
const ws = path.join(base, 'workspace');
const wheels = path.join(base, 'wheels');

const indented = (text) => text.replace(/^/gm, '  ');

function step(title, file, args, opts) {
  console.log(`\n$ ${[file, ...args].join(' ')}`);
  const r = typeof file === 'function' ? file() : spawnSync(file, args, { cwd: ws, encoding: 'utf8', ...opts });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (out) console.log(indented(out));
  if (r.status !== 0 && r.code !== 0) {
    console.error(`\nexample failed at: ${title}`);
    process.exit(1);
  }
  return r;
}

fs.rmSync(base, { recursive: true, force: true });
console.log('building the plugin and the example wheels');
execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
const tarball = packPlugin(base);
console.log(`wheels: ${buildFixtureWheels(wheels).join(', ')}`);
console.log(`workspace: ${path.relative(repoRoot, ws)}`);
createWorkspace(ws, tarball);

// pip's own configuration is how users point at an index; here, the local wheel folder only.
const env = isolatedEnv({ pip: { PIP_FIND_LINKS: wheels, PIP_NO_INDEX: '1' } });
const run = (args) => nx(ws, args, env);
const nxStep = (args) => {
  console.log(`\n$ nx ${args.join(' ')}`);
  const r = run(args);
  const out = r.output.trim();
  if (out) console.log(indented(out));
  if (r.code !== 0) {
    console.error(`\nexample failed at: nx ${args.join(' ')}`);
    process.exit(1);
  }
};

nxStep(['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0']);
nxStep(['run', 'hello:pex']);
step('run the archive', './dist/tools/hello/hello.pex', ['--version'], { env });
step('run the archive again (warm)', './dist/tools/hello/hello.pex', ['world'], { env });
step('run the archive with python', 'python3', ['dist/tools/hello/hello.pex', '--version'], { env });
nxStep(['run', 'hello:venv']);
step('run the venv script', './dist/tools/hello/venv/bin/hello', ['--version'], { env });
nxStep(['run', 'hello:run', '--', '--check', 'tools/hello']);
console.log('\nexample ok');
