'use strict';
// Fixture wheels built from our own small projects, and an environment in which pip sees only them.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const python = process.env.PEX_TEST_PYTHON || 'python3';

/** Builds every fixture project in test/fixtures/projects into `outDir`; returns the wheel file names. */
function buildFixtureWheels(outDir) {
  execFileSync(python, [path.join(repoRoot, 'test', 'fixtures', 'build_wheels.py'), outDir], { stdio: 'pipe' });
  return require('node:fs')
    .readdirSync(outDir)
    .filter((f) => f.endsWith('.whl'))
    .sort();
}

/**
 * The machine's pip configuration (config files, PIP_* variables) must not leak into tests: pip
 * then sees only what a test gives it. PEX_ROOT and the wheel cache go to the test's own folders.
 */
function isolatedEnv({ pexRoot, wheelCache, pip = {} } = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('PIP_') || key.startsWith('PEX') || key.startsWith('NX_')) delete env[key];
  }
  Object.assign(env, {
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    ...(pexRoot ? { PEX_ROOT: pexRoot } : {}),
    ...(wheelCache ? { PEX_NX_WHEEL_CACHE: wheelCache } : {}),
    ...pip,
  });
  return env;
}

module.exports = { buildFixtureWheels, isolatedEnv, repoRoot, python };
