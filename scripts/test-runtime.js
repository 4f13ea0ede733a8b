#!/usr/bin/env node
// Runs the Python runtime's unittest suite (test/runtime) on every CPython 3.8+ found:
// pyenv's versions and /usr/bin/python3, one per exact version. The suite's archives are
// written by the plugin's builder from dist/, so this builds first when dist/ is missing
// or older than src/.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { oldest } = require('../src/runtime/pexnx/contract.json').cpythonMinors;

/** The newest mtime of the TypeScript under dir (the builder's sources). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

const builder = path.join(root, 'dist', 'core', 'archive', 'archive.js');
if (!fs.existsSync(builder) || fs.statSync(builder).mtimeMs < newestSource(path.join(root, 'src', 'core'))) {
  console.log('test-runtime: building the plugin first (the suite runs archives its builder writes)');
  if (spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
}

function pyenvRoot() {
  if (process.env.PYENV_ROOT) return process.env.PYENV_ROOT;
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function candidates() {
  const found = [];
  const pyenv = pyenvRoot();
  if (pyenv && fs.existsSync(path.join(pyenv, 'versions'))) {
    for (const version of fs.readdirSync(path.join(pyenv, 'versions')).sort()) {
      found.push(path.join(pyenv, 'versions', version, 'bin', 'python'));
    }
  }
  found.push('/usr/bin/python3');
  return found.filter((p) => fs.existsSync(p));
}

/** CPython 3.8+ interpreters as { python, version }, de-duplicated by exact version. */
function interpreters() {
  const byVersion = new Map();
  for (const python of candidates()) {
    const probe = spawnSync(python, ['-c', "import sys; print(sys.implementation.name, '%d.%d.%d' % sys.version_info[:3])"], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) continue;
    const [impl, version] = probe.stdout.trim().split(' ');
    const [major, minor] = version.split('.').map(Number);
    if (impl === 'cpython' && major === 3 && minor >= oldest && !byVersion.has(version)) {
      byVersion.set(version, { python, version });
    }
  }
  const key = (v) =>
    v.version
      .split('.')
      .map((n) => n.padStart(4, '0'))
      .join('.');
  return [...byVersion.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

const found = interpreters();
if (found.length === 0) {
  console.error('test-runtime: no CPython 3.8+ interpreter found (looked in pyenv versions and /usr/bin/python3)');
  process.exit(1);
}
let passed = 0;
let failed = 0;
let testsPassed = 0;
let testsFailed = 0;
for (const { python, version } of found) {
  const started = Date.now();
  const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', path.join('test', 'runtime')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PEXNX_TEST_NODE: process.execPath },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = (run.stderr.match(/^Ran \d+ tests?.*$/m) || ['no tests ran'])[0];
  const ran = Number((summary.match(/^Ran (\d+)/) || [0, 0])[1]);
  const broken = [...(run.stderr.match(/^FAILED \((.*)\)$/m) || ['', ''])[1].matchAll(/(?:failures|errors)=(\d+)/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const failedHere = run.status === 0 ? 0 : Math.max(broken, 1);
  testsPassed += ran - Math.min(failedHere, ran);
  testsFailed += failedHere;
  if (run.status === 0) {
    passed++;
    console.log(`PASS CPython ${version} (${python}): ${summary}, ${seconds}s`);
  } else {
    failed++;
    process.stdout.write(run.stdout);
    process.stdout.write(run.stderr);
    console.log(`FAIL CPython ${version} (${python}): ${summary}, ${seconds}s`);
  }
}
console.log(`interpreters: ${passed} passed, ${failed} failed`);
// The closing line counts test cases over all interpreters.
console.log(`runtime: ${testsPassed} passed, ${testsFailed} failed`);
process.exit(failed ? 1 : 0);
