import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const { isolatedEnv, repoRoot, python } = require('../scripts/lib/fixtures');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sharedDir } = require('../bench/anchors');

// A second real platform: an archive for linux_x86_64 and linux_aarch64, with a wheel per
// architecture, runs on this machine and on an emulated Linux aarch64 CPython (qemu-user, set up by
// ../shared/tools/aarch64-python.sh). Both are optional: without them this file says so and skips.
jest.setTimeout(900_000);

const shared: string | undefined = sharedDir(repoRoot);
const setup = shared && path.join(shared, 'tools', 'aarch64-python.sh');

function emulatedPython(): { path?: string; why?: string } {
  if (!setup || !fs.existsSync(setup)) return { why: `${path.resolve(repoRoot, '..', 'shared', 'tools')} has no aarch64-python.sh` };
  if (os.platform() !== 'linux' || os.arch() !== 'x64') return { why: 'the emulated platform is set up on Linux x86_64 only' };
  const dir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'aarch64-python');
  const result = spawnSync(setup, [dir], { encoding: 'utf8' });
  const found = result.stdout.trim().split('\n').pop();
  return result.status === 0 && found
    ? { path: found }
    : { why: `the emulator could not be set up: ${result.stderr.trim().split('\n').pop()}` };
}

const emulated = emulatedPython();
if (!emulated.path) console.warn(`platforms: SKIPPED, ${emulated.why}`);

(emulated.path ? describe : describe.skip)('an archive for linux_x86_64 and linux_aarch64', () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let both: string;
  let x86Only: string;
  const aarch64 = emulated.path!;

  /** `whoami` 1.0, one wheel per architecture: each says which it is and where it runs. */
  async function wheelFor(arch: string, dir: string) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildTestWheel } = require('../src/core/testing/wheels');
    const file: string = await buildTestWheel(path.join(dir, arch), {
      name: 'whoami',
      version: '1.0',
      tag: `cp311-cp311-manylinux_2_17_${arch}`,
      consoleScripts: { whoami: 'whoami:main' },
      files: { 'whoami/__init__.py': `def main():\n    import platform\n    print("${arch} wheel on", platform.machine())\n` },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { sha256File } = require('../dist/core/common');
    return { filename: path.basename(file), path: file, sha256: await sha256File(file) };
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-e2e-platforms-'));
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'core', 'archive', 'index.js'))) {
      execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.js')], { stdio: 'inherit' });
    }
    env = isolatedEnv({ pexRoot: path.join(tmp, 'pex-root') });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildArchive } = require('../dist/core/archive');
    const x86 = await wheelFor('x86_64', tmp);
    const arm = await wheelFor('aarch64', tmp);
    const environment = (platform: string, wheel: { filename: string }) => ({
      id: `${platform}-cp311`,
      platform,
      python: '3.11',
      wheels: [[wheel.filename]],
    });
    const common = { requirements: ['whoami==1.0'], script: 'whoami', interpreterConstraints: [] };
    both = path.join(tmp, 'both.pex');
    await buildArchive({
      ...common,
      out: both,
      wheels: [x86, arm],
      environments: [environment('linux_x86_64', x86), environment('linux_aarch64', arm)],
    });
    x86Only = path.join(tmp, 'x86.pex');
    await buildArchive({ ...common, out: x86Only, wheels: [x86], environments: [environment('linux_x86_64', x86)] });
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs here with the x86_64 wheel', () => {
    const hostPython = execFileSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const run = spawnSync(hostPython, [both], { env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('x86_64 wheel on x86_64\n');
  });

  it('runs on the emulated aarch64 CPython with the aarch64 wheel, chosen by PEX_PYTHON or run directly', () => {
    const chosen = spawnSync(both, [], { env: { ...env, PEX_PYTHON: aarch64 }, encoding: 'utf8' });
    expect(chosen.stderr).toBe('');
    expect(chosen.stdout).toBe('aarch64 wheel on aarch64\n');
    const direct = spawnSync(aarch64, [both], { env, encoding: 'utf8' });
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toBe('aarch64 wheel on aarch64\n');
  });

  it('refuses the emulated aarch64 CPython in one line when the archive does not cover it', () => {
    const run = spawnSync(aarch64, [x86Only], { env, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `pex: CPython 3.11 on linux_aarch64 is outside the archive's environments (linux_x86_64 × 3.11), ${x86Only}: ` +
        'relock with --platforms linux_x86_64,linux_aarch64 to add it, then rebuild the archive\n',
    );
  });
});
