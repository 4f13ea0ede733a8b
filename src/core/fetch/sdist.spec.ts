import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError, silentReporter } from '../common';
import { sha256File } from '../common';
import { lockedFiles, readLockfile } from '../lock';
import { inspectInterpreter, Interpreter, interpreterEnvironment } from '../python';
import { builtDir } from './sdistBuild';
import { buildTestSdist } from '../testing/sdists';
import { serveWheels } from '../testing/httpServer';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';
import { buildTool, fetchLockedWheels, lockTool, resolveRequirements } from '../workflows';
import { parseRequirements } from '../requirements';
import { fetchWheels } from './wheelCache';

// A requirement that only publishes an sdist: locked like a wheel, built once into the shared cache.
jest.setTimeout(60_000);

let root: string;
let workspace: string;
let cacheDir: string;
let buildLog: string;
let interpreter: Interpreter;
const env = isolatedPipEnv();
const files = () => ({
  workspaceRoot: workspace,
  requirementsFile: path.join(workspace, 'tools/gamma/requirements.txt'),
  lockFile: path.join(workspace, 'tools/gamma/pylock.toml'),
});
const builds = () => (existsSync(buildLog) ? readFileSync(buildLog, 'utf8').split('\n').filter(Boolean).length : 0);
const noInterpreter = async (): Promise<Interpreter> => {
  throw new Error('a cached build needs no interpreter');
};

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pex-sdist-spec-'));
  workspace = path.join(root, 'ws');
  cacheDir = path.join(root, 'cache');
  buildLog = path.join(root, 'builds.log');
  const wheels = path.join(workspace, 'tools/gamma/wheels');
  mkdirSync(wheels, { recursive: true });
  buildTestSdist(wheels, {
    name: 'pexnx-gamma',
    version: '1.0',
    requires: ['pexnx-beta'],
    consoleScripts: { gamma: 'pexnx_gamma:main' },
    buildLog,
  });
  await buildTestWheel(wheels, { name: 'pexnx-beta', version: '1.0' });
  writeFileSync(files().requirementsFile, '--no-index\n--find-links wheels\npexnx-gamma\n');
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
  await lockTool({ ...files(), python: interpreter.path, env, ...ownEnvironment() });
});

/** The interpreter's own environment: the only one an sdist is locked for. */
const ownEnvironment = () => ({
  platforms: interpreterEnvironment(interpreter)!.platform,
  interpreterConstraints: [`==${interpreter.version.slice(0, 2).join('.')}.*`],
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('the lock records the sdist itself: name, version, path relative to the lock, size, sha256', async () => {
  const lock = readLockfile(files().lockFile);
  expect(lockedFiles(lock)).toEqual([
    expect.objectContaining({ name: 'pexnx-beta', filename: 'pexnx_beta-1.0-py3-none-any.whl' }),
    {
      name: 'pexnx-gamma',
      version: '1.0',
      filename: 'pexnx-gamma-1.0.tar.gz',
      path: 'wheels/pexnx-gamma-1.0.tar.gz',
      size: statSync(path.join(workspace, 'tools/gamma/wheels/pexnx-gamma-1.0.tar.gz')).size,
      sha256: await sha256File(path.join(workspace, 'tools/gamma/wheels/pexnx-gamma-1.0.tar.gz')),
    },
  ]);
});

test('the fetch builds the sdist into a wheel once; later fetches reuse it without pip', async () => {
  const lock = readLockfile(files().lockFile);
  const before = builds();
  const steps: string[] = [];
  const report = { ...silentReporter, step: (line: string) => (steps.push(line), silentReporter.step(line)) };
  const first = await fetchWheels(lock, {
    cacheDir,
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    interpreter,
    env,
    report,
  });
  expect(builds()).toBe(before + 1);
  expect(steps).toEqual(['building pexnx-gamma 1.0 from its sdist…']);
  expect(first.map((w) => w.filename)).toEqual(['pexnx_beta-1.0-py3-none-any.whl', 'pexnx_gamma-1.0-py3-none-any.whl']);
  expect(first[1].sha256).toBe(await sha256File(first[1].path));
  const again = await fetchWheels(lock, {
    cacheDir,
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    interpreter: noInterpreter,
    env,
    report,
  });
  expect(again).toEqual(first);
  expect(steps).toHaveLength(1);
  expect(builds()).toBe(before + 1);
  expect(readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
});

test('a built wheel whose bytes changed in the cache is built again', async () => {
  const lock = readLockfile(files().lockFile);
  const [, built] = await fetchWheels(lock, {
    cacheDir,
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    interpreter,
    env,
  });
  const before = builds();
  writeFileSync(built.path, 'corrupted');
  const rebuilt = await fetchWheels(lock, {
    cacheDir,
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    interpreter,
    env,
  });
  expect(builds()).toBe(before + 1);
  expect(rebuilt[1].sha256).toBe(built.sha256); // the test backend builds reproducibly
});

test('the archive installs the wheel built from the sdist and runs its script', async () => {
  const out = path.join(workspace, 'dist/gamma.pex');
  await buildTool({ ...files(), out, script: 'gamma', cacheDir, env, lockCommand: 'nx run gamma:lock', pluginVersion: '0.0.0' });
  const run = execFileSync(out, [], { env: { ...env, PEX_ROOT: path.join(root, 'pex-root') }, encoding: 'utf8' });
  expect(run).toBe('pexnx-gamma 1.0 (built from source)\n');
});

test('an sdist must be built by the Python version it was locked for', async () => {
  const locked = readLockfile(files().lockFile);
  const lock = {
    ...locked,
    environments: [{ platform: 'linux_x86_64' as const, python: '3.7', covered: true }],
    packages: locked.packages.map((p) => ({ ...p, environments: ['linux_x86_64-cp37'] })),
  };
  const error = await fetchLockedWheels(lock, {
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    cacheDir,
    python: interpreter.path,
    env,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PexError);
  expect((error as Error).message).toMatch(
    new RegExp(
      /^pexnx-gamma-1\.0\.tar\.gz must be built by Python 3\.7 \(the environment it is locked for\), but the interpreter is /.source +
        /Python 3\.\d+, .*: set the python option to a Python 3\.7$/.source,
    ),
  );
  expect(existsSync(builtDir(cacheDir, lockedFiles(lock)[1], '3.7'))).toBe(false);
});

test('a failing build is one line with the reason, and caches nothing', async () => {
  const broken = path.join(root, 'broken');
  const top = path.join(broken, 'pexnx-brk-1.0');
  mkdirSync(top, { recursive: true });
  writeFileSync(path.join(top, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n');
  writeFileSync(path.join(top, 'backend.py'), 'def build_wheel(*args, **kwargs):\n    raise RuntimeError("the compiler is missing")\n');
  const sdist = path.join(broken, 'pexnx-brk-1.0.tar.gz');
  execFileSync('tar', ['czf', sdist, '-C', broken, 'pexnx-brk-1.0']);
  const lock = readLockfile(files().lockFile);
  const artifact = {
    name: 'pexnx-brk',
    version: '1.0',
    filename: 'pexnx-brk-1.0.tar.gz',
    url: `file://${sdist}`,
    sha256: await sha256File(sdist),
  };
  const withBroken = {
    ...lock,
    packages: [{ name: 'pexnx-brk', version: '1.0', environments: lock.packages[0].environments, files: [artifact] }],
  };
  const error = await fetchWheels(withBroken, {
    cacheDir,
    workspaceRoot: workspace,
    lockDir: path.dirname(files().lockFile),
    interpreter,
    env,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PexError);
  expect((error as Error).message).toMatch(
    /^building pexnx-brk-1\.0\.tar\.gz into a wheel failed: .*RuntimeError: the compiler is missing, .*: fix the build/,
  );
  expect(existsSync(builtDir(cacheDir, artifact, lock.environments[0].python))).toBe(false);
  expect(readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
});

test('concurrent fetches on an empty cache agree on one built wheel', async () => {
  const lock = readLockfile(files().lockFile);
  const fresh = path.join(root, 'fresh-cache');
  const runs = await Promise.all(
    [1, 2, 3].map(() =>
      fetchWheels(lock, { cacheDir: fresh, workspaceRoot: workspace, lockDir: path.dirname(files().lockFile), interpreter, env }),
    ),
  );
  expect(new Set(runs.map((r) => `${r[1].path} ${r[1].sha256}`)).size).toBe(1);
  expect(readdirSync(path.dirname(runs[0][1].path)).sort()).toEqual([
    'pexnx_gamma-1.0-py3-none-any.whl',
    'pexnx_gamma-1.0-py3-none-any.whl.sha256',
  ]);
  expect(readdirSync(path.join(fresh, 'tmp'))).toEqual([]);
});

test('an sdist from an index over http is hashed, downloaded by pip with the credentials, and built', async () => {
  const served = path.join(workspace, 'tools/gamma/wheels');
  const server = await serveWheels(served, { user: 'me', password: 's3cret' });
  try {
    const links = `--find-links http://me:s3cret@127.0.0.1:${server.port}/`;
    const requirements = parseRequirements(`--no-index\n${links}\npexnx-gamma\n`, 'requirements.txt');
    const lock = await resolveRequirements(requirements, {
      workspaceRoot: workspace,
      cwd: workspace,
      lockDir: workspace,
      python: interpreter.path,
      env,
      ...ownEnvironment(),
    });
    const gamma = lockedFiles(lock).find((a) => a.name === 'pexnx-gamma')!;
    expect(gamma.url).toBe(`http://127.0.0.1:${server.port}/pexnx-gamma-1.0.tar.gz`);
    expect(gamma.sha256).toBe(await sha256File(path.join(served, 'pexnx-gamma-1.0.tar.gz')));
    const fresh = path.join(root, 'http-cache');
    const fetched = await fetchWheels(lock, {
      cacheDir: fresh,
      workspaceRoot: workspace,
      lockDir: path.dirname(files().lockFile),
      interpreter,
      env,
      pipOptions: requirements.pipOptions,
    });
    expect(fetched.map((w) => w.filename)).toEqual(['pexnx_beta-1.0-py3-none-any.whl', 'pexnx_gamma-1.0-py3-none-any.whl']);
  } finally {
    await server.close();
  }
});
