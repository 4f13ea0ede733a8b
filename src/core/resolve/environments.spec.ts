import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError, silentReporter } from '../common';
import { Lockfile, readLockfile } from '../lock';
import { inspectInterpreter, Interpreter } from '../python';
import { parseRequirements } from '../requirements';
import { buildEnvironmentWheels, isolatedPipEnv, testPython } from '../testing/wheels';
import { lockTool } from '../workflows';
import { resolve } from './resolve';

// One lock for several platforms and Pythons: pip runs once per environment.
jest.setTimeout(180_000);

let workspace: string;
let interpreter: Interpreter;
const env = isolatedPipEnv();

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), 'pex-environments-spec-'));
  const wheels = path.join(workspace, 'wheels');
  await buildEnvironmentWheels(wheels);
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const requirements = parseRequirements('--no-index\n--find-links ./wheels\npexnx-app\n', 'requirements.txt');

function lockFor(opts: { platforms?: Array<'linux_x86_64' | 'linux_aarch64' | 'macos_arm64'>; constraints?: string[]; lines?: string[] }) {
  const report = { ...silentReporter, info: (line: string) => void opts.lines?.push(line) };
  return resolve({
    interpreter,
    requirements,
    interpreterConstraints: opts.constraints ?? [],
    platforms: opts.platforms,
    workspaceRoot: workspace,
    cwd: workspace,
    env,
    report,
  });
}

const byName = (lock: Lockfile) =>
  Object.fromEntries(
    lock.packages.map((p) => [`${p.name} ${p.version}`, { environments: p.environments, files: p.files.map((f) => f.filename) }]),
  );

const ENVIRONMENTS = [
  'linux_x86_64-cp310',
  'linux_x86_64-cp311',
  'linux_x86_64-cp312',
  'macos_arm64-cp310',
  'macos_arm64-cp311',
  'macos_arm64-cp312',
];

describe('a lock of several environments', () => {
  let lock: Lockfile;
  beforeAll(async () => {
    lock = await lockFor({ platforms: ['linux_x86_64', 'macos_arm64'], constraints: ['>=3.10,<3.13'] });
  });

  it('covers every platform × Python asked for, one package per version with the wheels its environments take', () => {
    expect(lock.environments.map((e) => [`${e.platform}-cp${e.python.replace('.', '')}`, e.covered])).toEqual(
      ENVIRONMENTS.map((id) => [id, true]),
    );
    const packages = byName(lock);
    expect(packages['pexnx-app 1.0']).toEqual({ environments: ENVIRONMENTS, files: ['pexnx_app-1.0-py3-none-any.whl'] });
    expect(packages['pexnx-native 1.0'].environments).toEqual(ENVIRONMENTS);
    // cp310 takes its own wheel; the newer Pythons the abi3 ones; macOS its own.
    expect(packages['pexnx-native 1.0'].files).toEqual([
      'pexnx_native-1.0-cp310-abi3-macosx_11_0_arm64.whl',
      'pexnx_native-1.0-cp310-abi3-manylinux2014_x86_64.whl',
      'pexnx_native-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    ]);
  });

  it("evaluates markers with each environment's values, not the locking machine's", () => {
    const packages = byName(lock);
    expect(packages['pexnx-tomlish 1.0'].environments).toEqual(['linux_x86_64-cp310', 'macos_arm64-cp310']);
    expect(packages['pexnx-macos 1.0'].environments).toEqual(['macos_arm64-cp310', 'macos_arm64-cp311', 'macos_arm64-cp312']);
  });

  it('fails in one line naming the package, the environment and the fix when an environment asked for has no wheel', async () => {
    const error = await lockFor({ platforms: ['linux_x86_64', 'linux_aarch64'], constraints: ['==3.11.*'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(
      new RegExp(
        /^pexnx-native has no wheel for linux_aarch64-cp311 \(only an sdist, or no file at all; pip: .*\), /.source +
          /the environments asked for \(platforms linux_x86_64,linux_aarch64, python 3\.11\): narrow --platforms or /.source +
          /--python, or provide a wheel of pexnx-native for linux_aarch64-cp311/.source,
      ),
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('leaves a default environment that cannot be satisfied out, with one warning line each, and records it as not covered', async () => {
    const lines: string[] = [];
    const defaults = await lockFor({ lines });
    const minors = Array.from({ length: 14 - interpreter.version[1] + 1 }, (_, i) => `3.${interpreter.version[1] + i}`);
    const covered = defaults.environments.filter((e) => e.covered).map((e) => e.platform);
    expect([...new Set(covered)]).toEqual(['linux_x86_64', 'macos_arm64']);
    expect(defaults.environments.filter((e) => !e.covered).map((e) => `${e.platform} ${e.python}`)).toEqual(
      ['linux_aarch64', 'macos_x86_64'].flatMap((p) => minors.map((m) => `${p} ${m}`)),
    );
    expect(lines).toHaveLength(2 * minors.length);
    expect(lines[0]).toMatch(
      new RegExp(
        `^warning: left linux_aarch64-cp3${interpreter.version[1]} out of the lock: pexnx-native has no wheel for it; name the platforms`,
      ),
    );
  });

  it('writes nothing when an environment asked for fails', async () => {
    const files = {
      workspaceRoot: workspace,
      requirementsFile: path.join(workspace, 'requirements.txt'),
      lockFile: path.join(workspace, 'pylock.toml'),
    };
    writeFileSync(files.requirementsFile, '--no-index\n--find-links ./wheels\npexnx-app\n');
    await expect(
      lockTool({ ...files, python: interpreter.path, env, platforms: 'linux_aarch64', interpreterConstraints: ['==3.11.*'] }),
    ).rejects.toThrow(/^pexnx-native has no wheel for linux_aarch64-cp311/);
    expect(existsSync(files.lockFile)).toBe(false);
    const { lock: written } = await lockTool({
      ...files,
      python: interpreter.path,
      env,
      platforms: 'linux_x86_64,macos_arm64',
      interpreterConstraints: ['==3.11.*'],
    });
    expect(readLockfile(files.lockFile)).toEqual(written);
  });
});
