import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError, silentReporter } from '../common';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';
import { lockedFiles, Lockfile } from '../lock';
import { findInterpreter, interpreterEnvironment } from '../python';
import { lockTool } from '../workflows';

// Relocking as `uv lock --upgrade-package` does: pins the requirements allow are kept.
jest.setTimeout(120_000);

let workspace: string;
let wheels: string;
const env = isolatedPipEnv();

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), 'pex-relock-spec-'));
  wheels = path.join(workspace, 'tools', 'x', 'wheels');
  await buildTestWheel(wheels, { name: 'pexnx-alpha', version: '1.0', requires: ['pexnx-beta>=1'] });
  await buildTestWheel(wheels, { name: 'pexnx-beta', version: '1.0' });
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const files = () => ({
  workspaceRoot: workspace,
  requirementsFile: path.join(workspace, 'tools', 'x', 'requirements.txt'),
  lockFile: path.join(workspace, 'tools', 'x', 'pylock.toml'),
});
const pinned = (lock: Lockfile) => lock.packages.map((p) => `${p.name}==${p.version}`);
// One environment, the interpreter's own: what is relocked does not depend on how many there are.
let single: { platforms: string; interpreterConstraints: string[] };
beforeAll(async () => {
  const interpreter = await findInterpreter({ python: testPython });
  single = {
    platforms: interpreterEnvironment(interpreter)!.platform,
    interpreterConstraints: [`==${interpreter.version.slice(0, 2).join('.')}.*`],
  };
});

async function relock(requirements: string, upgrade = {}) {
  writeFileSync(files().requirementsFile, `--no-index\n--find-links ./wheels\n${requirements}\n`);
  return lockTool({ ...files(), python: testPython, env, upgrade, ...single });
}

test('a relock keeps pins, --upgrade and upgradePackage move them, and each says what changed', async () => {
  mkdirSync(path.dirname(files().requirementsFile), { recursive: true });
  const first = await relock('pexnx-alpha');
  expect(pinned(first.lock)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);
  expect(first.changes).toEqual(['+ pexnx-alpha 1.0', '+ pexnx-beta 1.0']);

  // New releases on the index: a plain relock keeps both pins.
  await buildTestWheel(wheels, { name: 'pexnx-alpha', version: '1.1', requires: ['pexnx-beta>=1'] });
  await buildTestWheel(wheels, { name: 'pexnx-beta', version: '2.0' });
  const kept = await relock('pexnx-alpha');
  expect(kept.changes).toEqual([]);
  expect(pinned(kept.lock)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);

  const onlyBeta = await relock('pexnx-alpha', { packages: ['PexNX_Beta'] });
  expect(onlyBeta.changes).toEqual(['pexnx-beta 1.0 → 2.0']);

  const all = await relock('pexnx-alpha', { all: true });
  expect(all.changes).toEqual(['pexnx-alpha 1.0 → 1.1']);
  expect(pinned(all.lock)).toEqual(['pexnx-alpha==1.1', 'pexnx-beta==2.0']);
});

test('a pin the requirements no longer allow is dropped; the others stay', async () => {
  await buildTestWheel(wheels, { name: 'pexnx-gamma', version: '1.0' });
  await buildTestWheel(wheels, { name: 'pexnx-gamma', version: '2.0' });
  await relock('pexnx-alpha<1.1\npexnx-beta<2\npexnx-gamma<2');
  const moved = await relock('pexnx-alpha<1.1\npexnx-beta<2\npexnx-gamma>=2');
  expect(moved.changes).toEqual(['pexnx-gamma 1.0 → 2.0']);
  expect(pinned(moved.lock)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0', 'pexnx-gamma==2.0']);
});

test('an upgradePackage the lock does not hold is one line, and the lock is left as it was', async () => {
  await relock('pexnx-alpha');
  const before = readFileSync(files().lockFile, 'utf8');
  const error = await relock('pexnx-alpha', { packages: ['pexnx-alfa'] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PexError);
  expect((error as Error).message).toBe(
    'upgradePackage pexnx-alfa is not in the lock (locked: pexnx-alpha, pexnx-beta), tools/x/pylock.toml: check the ' +
      'spelling, or add it to requirements.txt',
  );
  expect(readFileSync(files().lockFile, 'utf8')).toBe(before);
});

test('the next lock converts a pex.lock.json of an earlier version: its pins stay, it is removed, and one line says so', async () => {
  const legacyFile = path.join(workspace, 'tools', 'x', 'pex.lock.json');
  const { lock } = await relock('pexnx-alpha<1.1\npexnx-beta<2');
  // What earlier versions wrote for this lock (version 1: local files as workspace-relative file: URLs).
  const legacy = {
    lockVersion: 1,
    requirements: lock.requirements,
    pipOptions: lock.pipOptions,
    requirementsHash: lock.requirementsHash,
    interpreter: { implementation: 'cpython', version: lock.environments[0].python, tag: 'cp3x', platform: lock.environments[0].platform },
    interpreterConstraints: lock.interpreterConstraints,
    artifacts: lockedFiles(lock).map(({ path: p, size: _, ...a }) => ({ ...a, url: `file:tools/x/${p}` })),
  };
  rmSync(files().lockFile);
  writeFileSync(legacyFile, JSON.stringify(legacy, null, 2));
  const lines: string[] = [];
  const report = { ...silentReporter, info: (line: string) => void lines.push(line) };
  writeFileSync(files().requirementsFile, '--no-index\n--find-links ./wheels\npexnx-alpha\n');
  const converted = await lockTool({ ...files(), lockFile: legacyFile, python: testPython, env, report, ...single });
  expect(converted.lockFile).toBe(files().lockFile);
  expect(pinned(converted.lock)).toEqual(pinned(lock));
  expect(converted.changes).toEqual([]);
  expect(existsSync(legacyFile)).toBe(false);
  expect(readFileSync(files().lockFile, 'utf8')).toContain('lock-version = "1.0"');
  expect(lines).toEqual(['converted tools/x/pex.lock.json to tools/x/pylock.toml (PEP 751) and removed it; commit both changes']);
});
