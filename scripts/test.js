#!/usr/bin/env node
// npm test: build, lint, then unit specs, the runtime suite on every CPython 3.8+ here, and the e2e suite.
// Ends with one line counting every test case of every step.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const jest = require.resolve('jest/bin/jest');
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-test-'));

/** Each step returns { ok, passed, failed }. */
function jestStep(project, extra = []) {
  const report = path.join(reports, `${project}.json`);
  const r = spawnSync(process.execPath, [jest, '--selectProjects', project, '--json', `--outputFile=${report}`, ...extra], {
    cwd: root,
    stdio: 'inherit',
  });
  const json = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : { numPassedTests: 0, numFailedTests: 1 };
  // A suite that fails before its tests run still counts as one failure.
  return { ok: r.status === 0, passed: json.numPassedTests, failed: json.numFailedTests || (r.status === 0 ? 0 : 1) };
}

function scriptStep(script, closing) {
  const r = spawnSync(process.execPath, [path.join(__dirname, script)], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(r.stdout);
  const m = closing.exec(r.stdout);
  return { ok: r.status === 0, passed: m ? Number(m[1]) : 0, failed: m ? Number(m[2]) : 1 };
}

/** A step that runs one of these scripts and counts no test cases. */
function nodeStep(script) {
  return () => ({
    ok: spawnSync(process.execPath, [path.join(__dirname, script)], { cwd: root, stdio: 'inherit' }).status === 0,
    passed: 0,
    failed: 0,
  });
}

const steps = [
  ['build', nodeStep('build.js')],
  ['lint', nodeStep('lint.js')],
  ['unit', () => jestStep('unit')],
  ['runtime', () => scriptStep('test-runtime.js', /^runtime: (\d+) passed, (\d+) failed$/m)],
  ['e2e', () => jestStep('e2e', ['--runInBand'])],
];
const started = Date.now();
let passed = 0;
let failed = 0;
let ok = true;
for (const [name, step] of steps) {
  const t = Date.now();
  console.log(`\n=== ${name}`);
  const result = step();
  passed += result.passed;
  failed += result.failed;
  console.log(`=== ${name}: ${result.ok ? 'ok' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  if (!result.ok) {
    ok = false;
    if (name === 'build') break;
  }
}
fs.rmSync(reports, { recursive: true, force: true });
console.log(`\nnpm test took ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
