import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { inspectInterpreter, Interpreter } from '../python';
import { serveWheels } from '../testing/httpServer';
import { buildTestSdist } from '../testing/sdists';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';
import { pipCommonFlags, pipProblemLine, ReportItem } from './pip';
import { EnvironmentRequest, pipResolveEnvironments } from './resolveEnvironments';

const { startIndex } = require('../../../scripts/lib/index-server');

// One pip start plus a few forked resolves; more on a busy machine.
jest.setTimeout(120_000);

let dir: string;
let wheels: string;
let interpreter: Interpreter;
// The machine's PIP_FIND_LINKS and pip.conf would add wheels: every call sees only the specs' own.
const env = isolatedPipEnv();

const PLATFORMS = {
  linux_x86_64: {
    sys: 'linux',
    system: 'Linux',
    machine: 'x86_64',
    tags: ['manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'linux_x86_64'],
  },
  linux_aarch64: { sys: 'linux', system: 'Linux', machine: 'aarch64', tags: ['manylinux_2_17_aarch64', 'manylinux2014_aarch64'] },
  macos_arm64: { sys: 'darwin', system: 'Darwin', machine: 'arm64', tags: ['macosx_12_0_arm64', 'macosx_11_0_arm64'] },
  macos_x86_64: { sys: 'darwin', system: 'Darwin', machine: 'x86_64', tags: ['macosx_12_0_x86_64', 'macosx_11_0_x86_64'] },
};
type Platform = keyof typeof PLATFORMS;

/** A foreign environment as the lock asks for it: target flags and all 11 marker values. */
function foreign(platform: Platform, minor: number, constraints: string[] = []): EnvironmentRequest {
  const p = PLATFORMS[platform];
  const version = `3.${minor}`;
  return {
    id: `${platform}-cp3${minor}`,
    targetArgs: [
      ...['--only-binary=:all:', '--python-version', version, '--implementation', 'cp'],
      ...['--abi', `cp3${minor}`, '--abi', 'abi3', '--abi', 'none'],
      ...p.tags.flatMap((tag) => ['--platform', tag]),
    ],
    markers: {
      implementation_name: 'cpython',
      implementation_version: `${version}.0`,
      os_name: 'posix',
      platform_machine: p.machine,
      platform_python_implementation: 'CPython',
      platform_release: '',
      platform_system: p.system,
      platform_version: '',
      python_full_version: `${version}.0`,
      python_version: version,
      sys_platform: p.sys,
    },
    constraints,
  };
}

const own = (constraints: string[] = []): EnvironmentRequest => ({ id: 'own', targetArgs: [], markers: null, constraints });

const resolveAll = (requirements: string[], envs: EnvironmentRequest[], indexArgs = ['--no-index', '--find-links', wheels]) =>
  pipResolveEnvironments({ interpreter, requirements, indexArgs, envs, cwd: dir, env });

/** name==version of each package, with the wheel's tags: what an environment installs. */
const installed = (items: ReportItem[] | null) =>
  items && items.map((i) => decodeURIComponent(path.posix.basename(new URL(i.download_info.url).pathname))).sort();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-environments-spec-'));
  wheels = path.join(dir, 'wheels');
  await buildTestWheel(wheels, {
    name: 'pexnx-app',
    version: '1.0',
    requires: [
      'pexnx-native',
      'pexnx-tomlish; python_version < "3.11"',
      'pexnx-mac; sys_platform == "darwin"',
      'pexnx-arm; platform_machine == "aarch64"',
    ],
  });
  // A wheel per platform, none for macOS x86_64.
  for (const tag of ['py3-none-manylinux2014_x86_64', 'py3-none-manylinux_2_17_aarch64', 'py3-none-macosx_11_0_arm64']) {
    await buildTestWheel(wheels, { name: 'pexnx-native', version: '1.0', tag });
  }
  for (const name of ['pexnx-tomlish', 'pexnx-mac', 'pexnx-arm']) await buildTestWheel(wheels, { name, version: '1.0' });
  await buildTestWheel(wheels, {
    name: 'pexnx-with-deps',
    version: '1.0',
    requires: ['pexnx-native', 'pexnx-pinned>=1', 'pexnx-mac; extra == "mac"'],
  });
  await buildTestWheel(wheels, { name: 'pexnx-pinned', version: '1.0' });
  await buildTestWheel(wheels, { name: 'pexnx-pinned', version: '2.0' });
  await buildTestWheel(wheels, { name: 'pexnx-old', version: '1.0', tag: 'cp310-cp310-manylinux2014_x86_64' });
  buildTestSdist(wheels, { name: 'pexnx-source', version: '1.0' });
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pipResolveEnvironments', () => {
  it("gives each environment its wheels and the dependencies of its markers, not the locking machine's", async () => {
    const envs = [foreign('linux_x86_64', 11), foreign('linux_aarch64', 10), foreign('macos_arm64', 12), foreign('linux_x86_64', 9)];
    const done: string[] = [];
    const results = await pipResolveEnvironments({
      interpreter,
      requirements: ['pexnx-app'],
      indexArgs: ['--no-index', '--find-links', wheels],
      envs,
      cwd: dir,
      env,
      onDone: (n, total) => done.push(`${n}/${total}`),
    });
    expect(results.map((r) => r.id)).toEqual(['linux_x86_64-cp311', 'linux_aarch64-cp310', 'macos_arm64-cp312', 'linux_x86_64-cp39']);
    expect(results.map((r) => installed(r.install))).toEqual([
      ['pexnx_app-1.0-py3-none-any.whl', 'pexnx_native-1.0-py3-none-manylinux2014_x86_64.whl'],
      [
        'pexnx_app-1.0-py3-none-any.whl',
        'pexnx_arm-1.0-py3-none-any.whl',
        'pexnx_native-1.0-py3-none-manylinux_2_17_aarch64.whl',
        'pexnx_tomlish-1.0-py3-none-any.whl',
      ],
      ['pexnx_app-1.0-py3-none-any.whl', 'pexnx_mac-1.0-py3-none-any.whl', 'pexnx_native-1.0-py3-none-macosx_11_0_arm64.whl'],
      ['pexnx_app-1.0-py3-none-any.whl', 'pexnx_native-1.0-py3-none-manylinux2014_x86_64.whl', 'pexnx_tomlish-1.0-py3-none-any.whl'],
    ]);
    expect(done).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('fails only the environment a package has no wheel for, and pip names the package', async () => {
    const results = await resolveAll(['pexnx-app'], [foreign('macos_x86_64', 11), foreign('linux_x86_64', 11)]);
    expect(results[0].install).toBeNull();
    expect(pipProblemLine(results[0].stderr)).toMatch(/^Could not find a version that satisfies the requirement pexnx-native /);
    expect(installed(results[1].install)).toContain('pexnx_native-1.0-py3-none-manylinux2014_x86_64.whl');
  });

  it('takes a cp310-only wheel for Python 3.10 alone', async () => {
    const results = await resolveAll(
      ['pexnx-old'],
      [foreign('linux_x86_64', 11), foreign('linux_x86_64', 10), foreign('linux_aarch64', 10)],
    );
    expect(results.map((r) => installed(r.install))).toEqual([null, ['pexnx_old-1.0-cp310-cp310-manylinux2014_x86_64.whl'], null]);
  });

  it("applies each environment's own constraints", async () => {
    const pinned = { ...foreign('linux_x86_64', 12, ['pexnx-pinned==1.0']), id: 'pinned' };
    const results = await resolveAll(['pexnx-pinned'], [pinned, foreign('linux_x86_64', 12), own(['pexnx-pinned<2'])]);
    expect(results.map((r) => installed(r.install))).toEqual([
      ['pexnx_pinned-1.0-py3-none-any.whl'],
      ['pexnx_pinned-2.0-py3-none-any.whl'],
      ['pexnx_pinned-1.0-py3-none-any.whl'],
    ]);
  });

  it("builds an sdist for the locking interpreter's own environment only", async () => {
    const results = await resolveAll(['pexnx-source'], [own(), foreign('linux_x86_64', 11)]);
    expect(results[0].install!.map((i) => i.metadata.name)).toEqual(['pexnx-source']);
    expect(results[1].install).toBeNull();
    expect(pipProblemLine(results[1].stderr)).toMatch(/requirement pexnx-source/);
  });

  it('reports what separate pip processes with the same flags report: nothing leaks from one environment to the next', async () => {
    // No environment markers in this closure, so plain pip (which evaluates markers for this machine) must agree on every environment.
    const requirements = ['pexnx-with-deps', 'pexnx-pinned'];
    const envs = [
      foreign('linux_aarch64', 12, ['pexnx-pinned==1.0']),
      foreign('macos_x86_64', 11),
      foreign('macos_arm64', 9),
      own(),
      foreign('linux_x86_64', 13),
      foreign('linux_x86_64', 10),
    ];
    const together = await resolveAll(requirements, envs);
    for (const [i, request] of envs.entries()) {
      const alone = path.join(dir, `alone-${i}`);
      mkdirSync(alone);
      writeFileSync(path.join(alone, 'requirements.txt'), requirements.join('\n') + '\n');
      writeFileSync(path.join(alone, 'constraints.txt'), request.constraints.join('\n') + '\n');
      const report = path.join(alone, 'report.json');
      const args = [
        ...['-m', 'pip', 'install', '--dry-run', '--ignore-installed', '--report', report, '--no-index', '--find-links', wheels],
        ...(request.targetArgs.length ? [...request.targetArgs, '--target', path.join(alone, 'target')] : []),
        ...pipCommonFlags(true),
        ...['-r', path.join(alone, 'requirements.txt'), '-c', path.join(alone, 'constraints.txt')],
      ];
      let items: ReportItem[] | null = null;
      try {
        execFileSync(interpreter.path, args, { env: { ...env, PIP_REQUIRE_VIRTUALENV: '0' }, stdio: 'pipe' });
        items = (JSON.parse(readFileSync(report, 'utf8')) as { install: ReportItem[] }).install;
      } catch (error) {
        expect(pipProblemLine(String((error as { stderr: Buffer }).stderr))).toBe(pipProblemLine(together[i].stderr));
      }
      expect([request.id, together[i].install]).toEqual([request.id, items]);
    }
    expect(together.map((r) => r.install === null)).toEqual([false, true, false, false, false, false]);
  });

  it('takes wheels from a 127.0.0.1 index behind basic auth, with the credentials in the index flags', async () => {
    const index = await startIndex(wheels, { auth: { user: 'me', password: 's3cret' } });
    try {
      const url = index.url.replace('http://', 'http://me:s3cret@');
      const results = await resolveAll(['pexnx-app'], [foreign('macos_arm64', 10), own()], ['--index-url', url]);
      expect(installed(results[0].install)).toEqual([
        'pexnx_app-1.0-py3-none-any.whl',
        'pexnx_mac-1.0-py3-none-any.whl',
        'pexnx_native-1.0-py3-none-macosx_11_0_arm64.whl',
        'pexnx_tomlish-1.0-py3-none-any.whl',
      ]);
      expect(results[0].install!.every((i) => i.download_info.url.startsWith(`http://127.0.0.1:`))).toBe(true);
      // The locking interpreter's own environment, with its own markers.
      const tomlish = interpreter.version[1] < 11 ? ['pexnx_tomlish-1.0-py3-none-any.whl'] : [];
      expect(installed(results[1].install)).toEqual([
        'pexnx_app-1.0-py3-none-any.whl',
        'pexnx_native-1.0-py3-none-manylinux2014_x86_64.whl',
        ...tomlish,
      ]);
    } finally {
      await index.close();
    }
  });

  it("follows pip's own configuration: find-links from PIP_FIND_LINKS on an authenticated server", async () => {
    const server = await serveWheels(wheels, { user: 'me', password: 'pw' });
    try {
      const results = await pipResolveEnvironments({
        interpreter,
        requirements: ['pexnx-app'],
        indexArgs: [],
        envs: [foreign('linux_aarch64', 11)],
        cwd: dir,
        env: isolatedPipEnv({ PIP_FIND_LINKS: `http://me:pw@127.0.0.1:${server.port}/`, PIP_NO_INDEX: '1' }),
      });
      expect(installed(results[0].install)).toEqual([
        'pexnx_app-1.0-py3-none-any.whl',
        'pexnx_arm-1.0-py3-none-any.whl',
        'pexnx_native-1.0-py3-none-manylinux_2_17_aarch64.whl',
      ]);
    } finally {
      await server.close();
    }
  });

  it('stops with one line when pip cannot even start', async () => {
    const fake = path.join(dir, 'broken-pip');
    mkdirSync(path.join(fake, 'pip'), { recursive: true });
    writeFileSync(path.join(fake, 'pip', '__init__.py'), 'raise RuntimeError("this pip is broken")\n');
    const error = await pipResolveEnvironments({
      interpreter,
      requirements: ['pexnx-app'],
      indexArgs: ['--no-index', '--find-links', wheels],
      envs: [foreign('linux_x86_64', 11), own()],
      cwd: dir,
      env: { ...env, PYTHONPATH: fake },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as PexError).what).toBe(
      'pip could not run for the environments linux_x86_64-cp311, own: RuntimeError: this pip is broken',
    );
    expect((error as PexError).fix).toMatch(/^repair that interpreter's pip/);
    expect((error as PexError).message).not.toContain('\n');
  });

  it('starts no pip for no environments', async () => {
    const broken = { ...interpreter, path: path.join(dir, 'no-such-python') };
    await expect(
      pipResolveEnvironments({ interpreter: broken, requirements: ['x'], indexArgs: [], envs: [], cwd: dir, env }),
    ).resolves.toEqual([]);
  });
});
