import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { buildTestWheel } from '../src/core/testing/wheels';

const { buildFixtureWheels, isolatedEnv, repoRoot, python } = require('../scripts/lib/fixtures');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { realPex } = require('../bench/anchors');

// Issue 14, item 1: the real pex's own tooling opens our archives. pex is optional (../shared beside
// the repository); without it this file says so and skips, so a fresh clone passes.
jest.setTimeout(600_000);

const pex = realPex(repoRoot);
if (!pex.dir) {
  console.warn(`pex-interop: SKIPPED, the real pex ${pex.version} is not at ${pex.expected} (it is optional; see bench/anchors.js)`);
}

interface Shape {
  name: string;
  requirements: string[];
  script?: string;
  entryPoint?: string;
  sources?: Record<string, string>;
  /** What the tool runs in the venv pex-tools made, and what it prints. */
  venvRun: (venv: string) => string[];
  prints: string;
}

const SHAPES: Shape[] = [
  {
    name: 'console-script',
    requirements: ['hellotool==1.0.0'],
    script: 'hello',
    venvRun: (venv) => [path.join(venv, 'bin', 'hello'), '--version'],
    prints: 'hellotool 1.0.0\n',
  },
  {
    name: 'entry-point',
    requirements: ['hellotool==1.0.0'],
    entryPoint: 'hellotool.cli:main',
    venvRun: (venv) => [path.join(venv, 'pex'), '--version'],
    prints: 'hellotool 1.0.0\n',
  },
  {
    name: 'interpreter',
    requirements: ['hellotool==1.0.0', 'hello-shout==0.3'],
    venvRun: (venv) => [path.join(venv, 'pex'), '-c', 'import greetlib, hellotool; print(hellotool.__version__, greetlib.greet("x"))'],
    prints: '1.0.0 Hello, x!\n',
  },
  {
    name: 'sources',
    requirements: ['greetlib==1.2.0'],
    entryPoint: 'mytool.cli:main',
    sources: {
      'mytool/__init__.py': '',
      'mytool/cli.py': 'from greetlib import greet\n\ndef main():\n    print(greet("sources"))\n',
    },
    venvRun: (venv) => [path.join(venv, 'pex')],
    prints: 'Hello, sources!\n',
  },
];

/** The interpreter itself, not a pyenv shim: pex's tools run on it and build their venvs from it. */
function realInterpreter(): string {
  return execFileSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

(pex.dir ? describe : describe.skip)(`the real pex ${pex.version} opens our archives`, () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let interpreter: string;
  const archives = new Map<string, { path: string; info: Record<string, unknown> }>();

  const pexTools = (archive: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(path.join(pex.dir, 'bin', 'pex-tools'), [archive, ...args], {
      env: { ...env, PYTHON: interpreter, ...extraEnv },
      encoding: 'utf8',
    });

  /** sha1 of the archive's PEX-INFO as pex's own PexInfo reads and dumps it, without pex_hash. */
  const pexsOwnHash = (archive: string) =>
    execFileSync(
      interpreter,
      [
        '-c',
        'import hashlib, sys\nfrom pex.pex_info import PexInfo\n' +
          'info = PexInfo.from_pex(sys.argv[1]).as_json_dict()\ndel info["pex_hash"]\n' +
          'print(hashlib.sha1(PexInfo(info).dump().encode("utf-8")).hexdigest())',
        archive,
      ],
      { env: { ...env, PYTHONPATH: pex.dir }, encoding: 'utf8' },
    ).trim();

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-e2e-interop-'));
    const wheels = path.join(tmp, 'wheels');
    buildFixtureWheels(wheels);
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'core', 'workflows.js'))) {
      execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.js')], { stdio: 'inherit' });
    }
    interpreter = realInterpreter();
    env = isolatedEnv({
      pexRoot: path.join(tmp, 'pex-root'),
      wheelCache: path.join(tmp, 'wheel-cache'),
      pip: { PIP_FIND_LINKS: wheels, PIP_NO_INDEX: '1' },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = require('../dist/core/workflows');
    for (const shape of SHAPES) {
      const dir = path.join(tmp, shape.name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'requirements.txt'), `${shape.requirements.join('\n')}\n`);
      for (const [file, text] of Object.entries(shape.sources ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, 'src', file)), { recursive: true });
        fs.writeFileSync(path.join(dir, 'src', file), text);
      }
      const files = {
        workspaceRoot: tmp,
        requirementsFile: path.join(dir, 'requirements.txt'),
        lockFile: path.join(dir, 'pylock.toml'),
      };
      await core.lockTool({ ...files, python: interpreter, env });
      const out = path.join(dir, `${shape.name}.pex`);
      await core.buildTool({
        ...files,
        out,
        script: shape.script,
        entryPoint: shape.entryPoint,
        sourcesDir: path.join(dir, 'src'),
        python: interpreter,
        env,
        lockCommand: 'pex-interop.test',
        pluginVersion: '0.0.0-test',
      });
      const info = JSON.parse(execFileSync('unzip', ['-p', out, 'PEX-INFO'], { encoding: 'utf8' }));
      archives.set(shape.name, { path: out, info });
    }
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe.each(SHAPES.map((s) => [s.name, s] as const))('%s archive', (name, shape) => {
    it('`pex-tools x.pex info` prints our PEX-INFO unchanged (pex adds only the PEX_ROOT in use)', () => {
      const { path: archive, info } = archives.get(name)!;
      const result = pexTools(archive, ['info']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const shown = JSON.parse(result.stdout);
      expect(shown.pex_root).toBe(env.PEX_ROOT);
      delete shown.pex_root;
      expect(shown).toEqual(info);
      expect(typeof info.bootstrap_hash).toBe('string');
    });

    it("pex_hash is what pex's own PexInfo computes for it", () => {
      const { path: archive, info } = archives.get(name)!;
      expect(pexsOwnHash(archive)).toBe(info.pex_hash);
    });

    it('`pex-tools x.pex repository info` lists every locked wheel', () => {
      const { path: archive, info } = archives.get(name)!;
      const result = pexTools(archive, ['repository', 'info']);
      expect(result.status).toBe(0);
      const listed = result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ').slice(0, 2).join('-').replace(/-/g, '_'));
      const locked = Object.keys(info.distributions as Record<string, string>).map((wheel) =>
        wheel.split('-').slice(0, 2).join('-').replace(/-/g, '_'),
      );
      expect(listed.sort()).toEqual(locked.sort());
    });

    it('`pex-tools x.pex venv DIR` makes a venv that runs the tool', () => {
      const { path: archive } = archives.get(name)!;
      const venv = path.join(tmp, `${name}-venv`);
      const result = pexTools(archive, ['venv', venv]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const [cmd, ...args] = shape.venvRun(venv);
      const run = spawnSync(cmd, args, { env, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(shape.prints);
      expect(run.status).toBe(0);
    });

    it('still runs as our archive after pex opened it (the PEX_ROOT they share)', () => {
      const { path: archive } = archives.get(name)!;
      const [, ...args] = shape.venvRun('');
      // Our archive is the tool itself: its script or entry point, or the venv's python when neither.
      const run = spawnSync(archive, args, { env, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(shape.prints);
      expect(run.status).toBe(0);
    });
  });

  // A multi-environment archive keeps pex's shape: one flat `distributions` map with every environment's
  // wheels, top-level requirements whose markers pick per interpreter, our choices under `pex_nx`.
  describe('a multi-environment archive', () => {
    let archive: string;
    let info: Record<string, unknown>;
    const pyenvRoot = () => path.dirname(path.dirname(path.dirname(interpreter)));
    const is311 = () =>
      execFileSync(interpreter, ['-c', 'import sys; print("%d%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim() === '311';

    beforeAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { buildArchive } = require('../dist/core/archive');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { sha256File } = require('../dist/core/common');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { buildTestWheel } = require('../src/core/testing/wheels');
      const wheels = path.join(tmp, 'wheels');
      const pure = ['hellotool-1.0.0', 'greetlib-1.2.0', 'acme_colors-0.1.0', 'acme_shapes-0.1.0'].map((n) => `${n}-py3-none-any.whl`);
      const cp311 = 'cp311only-1.0-cp311-cp311-linux_x86_64.whl';
      const mac = path.basename(await buildTestWheel(wheels, { name: 'maconly', version: '1.0', tag: 'cp311-cp311-macosx_11_0_arm64' }));
      const env = (platform: string, minor: number, extra: string[]) => ({
        id: `${platform}-cp3${minor}`,
        platform,
        python: `3.${minor}`,
        wheels: [...pure, ...extra].map((name) => [name]),
      });
      archive = path.join(tmp, 'multi.pex');
      await buildArchive({
        out: archive,
        wheels: await Promise.all(
          [...pure, cp311, mac].map(async (filename) => ({
            filename,
            path: path.join(wheels, filename),
            sha256: await sha256File(path.join(wheels, filename)),
          })),
        ),
        environments: [env('linux_x86_64', 11, [cp311]), env('linux_x86_64', 12, []), env('macos_arm64', 11, [mac])],
        requirements: ['hellotool==1.0.0', 'cp311only==1.0; python_version == "3.11"', 'maconly==1.0; sys_platform == "darwin"'],
        script: 'hello',
        interpreterConstraints: [],
      });
      info = JSON.parse(execFileSync('unzip', ['-p', archive, 'PEX-INFO'], { encoding: 'utf8' }));
    });

    it('`pex-tools x.pex info` prints our PEX-INFO, environments included, and pex computes our pex_hash', () => {
      const result = pexTools(archive, ['info']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const shown = JSON.parse(result.stdout);
      delete shown.pex_root;
      expect(shown).toEqual(info);
      expect((shown.pex_nx.environments as Array<{ id: string }>).map((e) => e.id)).toEqual([
        'linux_x86_64-cp311',
        'linux_x86_64-cp312',
        'macos_arm64-cp311',
      ]);
      expect(pexsOwnHash(archive)).toBe(info.pex_hash);
    });

    it('`pex-tools x.pex repository info` lists the wheels this interpreter resolves (not the macOS one)', () => {
      const result = pexTools(archive, ['repository', 'info']);
      expect(result.status).toBe(0);
      const listed = result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[0]);
      const linux = ['acme-colors', 'acme-shapes', 'greetlib', 'hellotool'];
      expect(listed.sort()).toEqual(is311() ? [...linux.slice(0, 2), 'cp311only', ...linux.slice(2)] : linux);
    });

    it('`pex-tools x.pex venv DIR` resolves per interpreter, and the venv runs the tool', () => {
      const others = ['3.12.1'].map((v) => path.join(pyenvRoot(), v, 'bin', 'python3')).filter((p) => fs.existsSync(p));
      if (!is311() || !others.length) {
        console.warn('pex-interop: the multi-environment venv case needs CPython 3.11 and 3.12.1 beside it; skipped here');
        return;
      }
      for (const [python, hasNative] of [
        [interpreter, true],
        [others[0], false],
      ] as const) {
        const venv = path.join(tmp, `multi-venv-${hasNative ? 'cp311' : 'cp312'}`);
        const result = pexTools(archive, ['venv', venv], { PYTHON: python });
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        expect(execFileSync(path.join(venv, 'bin', 'hello'), ['--version'], { env, encoding: 'utf8' })).toBe('hellotool 1.0.0\n');
        const sitePackages = fs.readdirSync(path.join(venv, 'lib')).map((d) => path.join(venv, 'lib', d, 'site-packages'))[0];
        expect(fs.existsSync(path.join(sitePackages, 'cp311only.py'))).toBe(hasNative);
        expect(fs.readdirSync(sitePackages).some((name) => name.startsWith('maconly'))).toBe(false);
      }
      // And it still runs as our archive, picking the same wheels.
      const run = spawnSync(interpreter, [archive, '--version'], { env, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('hellotool 1.0.0\n');
    });
  });

  // Issue 10, item 6: our pylock.toml is a PEP 751 lock a real reader builds from. Local files are
  // `path` entries relative to the lock, which pex resolves itself: no --find-links is needed.
  it('`pex --no-pypi --pylock tools/<x>/pylock.toml -c <script>` builds an archive that runs the tool', () => {
    const dir = path.join(tmp, 'console-script');
    const out = path.join(tmp, 'from-pylock.pex');
    const build = spawnSync(
      path.join(pex.dir, 'bin', 'pex'),
      ['--no-pypi', '--python', interpreter, '--pylock', path.join(dir, 'pylock.toml'), '-c', 'hello', '-o', out],
      { cwd: dir, env: { ...env, PYTHON: interpreter, PIP_FIND_LINKS: '' }, encoding: 'utf8' },
    );
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const run = spawnSync(out, ['--version'], { env, encoding: 'utf8' });
    expect(run.stdout).toBe('hellotool 1.0.0\n');
    expect(run.status).toBe(0);
  });

  // A lock of several platforms and Pythons, with markers and a wheel per platform: pex installs what
  // its interpreter's environment takes, reading `path` files relative to the lock.
  it('`pex --pylock` builds a working archive from a multi-environment lock', async () => {
    const dir = path.join(tmp, 'multi');
    const wheels = path.join(dir, 'wheels');
    await buildTestWheel(wheels, {
      name: 'pexnx-app',
      version: '1.0',
      requires: ['pexnx-native', 'pexnx-tomlish; python_version < "3.11"', 'pexnx-macos; sys_platform == "darwin"'],
      consoleScripts: { 'pexnx-app': 'pexnx_app:main' },
    });
    for (const tag of ['cp38-abi3-manylinux2014_x86_64', 'cp38-abi3-macosx_11_0_arm64']) {
      await buildTestWheel(wheels, { name: 'pexnx-native', version: '1.0', tag });
    }
    await buildTestWheel(wheels, { name: 'pexnx-tomlish', version: '1.0' });
    await buildTestWheel(wheels, { name: 'pexnx-macos', version: '1.0' });
    fs.writeFileSync(path.join(dir, 'requirements.txt'), '--no-index\n--find-links ./wheels\npexnx-app\n');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = require('../dist/core/workflows');
    const files = { workspaceRoot: tmp, requirementsFile: path.join(dir, 'requirements.txt'), lockFile: path.join(dir, 'pylock.toml') };
    const minor = execFileSync(interpreter, ['-c', 'import sys; print("3.%d" % sys.version_info[1])'], { encoding: 'utf8' }).trim();
    const constraints = [`>=3.10,<${minor === '3.13' ? '3.14' : '3.13'}`];
    const { lock } = await core.lockTool({
      ...files,
      python: interpreter,
      env,
      platforms: 'linux_x86_64,macos_arm64',
      interpreterConstraints: constraints,
    });
    expect(lock.environments.length).toBeGreaterThan(2);
    expect(fs.readFileSync(files.lockFile, 'utf8')).toContain('marker = "sys_platform == \\"darwin\\""');
    const out = path.join(tmp, 'multi.pex');
    const build = spawnSync(
      path.join(pex.dir, 'bin', 'pex'),
      ['--no-pypi', '--python', interpreter, '--pylock', files.lockFile, '-c', 'pexnx-app', '-o', out],
      { cwd: dir, env: { ...env, PYTHON: interpreter, PIP_FIND_LINKS: '' }, encoding: 'utf8' },
    );
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const run = spawnSync(out, [], { env, encoding: 'utf8' });
    expect(run.stdout).toBe('pexnx-app 1.0\n');
    expect(run.status).toBe(0);
    const info = JSON.parse(execFileSync('unzip', ['-p', out, 'PEX-INFO'], { encoding: 'utf8' }));
    const installed = Object.keys(info.distributions).sort();
    expect(installed).toEqual(
      [
        'pexnx_app-1.0-py3-none-any.whl',
        'pexnx_native-1.0-cp38-abi3-manylinux2014_x86_64.whl',
        ...(minor === '3.10' ? ['pexnx_tomlish-1.0-py3-none-any.whl'] : []),
      ].sort(),
    );
  });
});
