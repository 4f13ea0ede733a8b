'use strict';
// A real Nx workspace in a folder: the packed plugin installed from its tarball, git initialised.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { repoRoot } = require('./fixtures');

const NX_VERSION = require(path.join(repoRoot, 'package.json')).devDependencies.nx;

/** `npm pack`s the built plugin into `outDir`; returns the tarball's path. */
function packPlugin(outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], { cwd: repoRoot, encoding: 'utf8' });
  return path.join(outDir, out.trim().split('\n').pop());
}

/** Creates the workspace at `dir` (must not exist) and installs nx and the plugin, offline where npm's cache allows. */
function createWorkspace(dir, tarball) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'ws', version: '0.0.0', private: true, devDependencies: { nx: NX_VERSION, pex: `file:${tarball}` } }, null, 2) +
      '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'nx.json'),
    // The cache inside the workspace: a copy at another path then carries its own cache, and
    // workspaces never share one through ~/.nx behind a test's back.
    JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', useDaemonProcess: false, cacheDirectory: '.nx/cache' }, null, 2) +
      '\n',
  );
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules\ndist\n.nx\n');
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'init']);
  return dir;
}

function git(dir, args) {
  return execFileSync('git', ['-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', ...args], { cwd: dir, encoding: 'utf8' });
}

// Nx colours its output when CI is set even without a terminal; tests read plain text.
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** Runs nx in the workspace; never throws, returns { code, stdout, stderr, output } without colours. */
function nx(dir, args, env) {
  const r = spawnSync(path.join(dir, 'node_modules', '.bin', 'nx'), args, { cwd: dir, env, encoding: 'utf8' });
  const [stdout, stderr] = [plain(r.stdout), plain(r.stderr)];
  return { code: r.status, stdout, stderr, output: `${stdout}\n${stderr}` };
}

module.exports = { packPlugin, createWorkspace, nx, git };
