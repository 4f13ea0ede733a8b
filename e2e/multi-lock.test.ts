import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { buildEnvironmentWheels } from '../src/core/testing/wheels';
import {
  E2eContext,
  errorLines,
  hasStackTrace,
  infoLines,
  isolatedEnv,
  lockedFiles,
  prepare,
  readLock,
  runNx,
  workspaceCopy,
} from './setup';

/** One lock for every machine of a team: platforms × Pythons in one pylock.toml, asked for on pex:tool, the lock target or nx.json. */
describe('a lock for several platforms and Pythons', () => {
  let ctx: E2eContext;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const toml = (file: string): any => parse(fs.readFileSync(path.join(ws, file), 'utf8'));

  beforeAll(async () => {
    ctx = prepare('multi-lock');
    ws = workspaceCopy(ctx, 'ws');
    const wheels = path.join(ctx.tmp, 'multi-wheels');
    await buildEnvironmentWheels(wheels);
    env = isolatedEnv({
      pexRoot: path.join(ctx.tmp, 'pex-root'),
      wheelCache: path.join(ctx.tmp, 'wheel-cache'),
      pip: { PIP_FIND_LINKS: wheels, PIP_NO_INDEX: '1' },
    });
  });
  afterAll(() => fs.rmSync(ctx.tmp, { recursive: true, force: true }));

  test('pex:tool --platforms --python writes the PEP 751 lock of every environment, with markers and a wheel per platform', () => {
    const r = runNx(
      ws,
      ['g', 'pex:tool', 'app', '--requirements', 'pexnx-app', '--platforms', 'linux_x86_64,macos_arm64', '--python', '>=3.10,<3.13'],
      env,
    );
    expect(r.code).toBe(0);
    expect(infoLines(r.output)).toContainEqual('resolving pexnx-app for 6 environments with pip…');
    expect(infoLines(r.output)).toContainEqual('locked 4 distributions for 6 environments into tools/app/pylock.toml');
    const project = JSON.parse(fs.readFileSync(path.join(ws, 'tools/app/project.json'), 'utf8'));
    expect(project.targets.lock.options).toEqual({ interpreterConstraints: ['>=3.10,<3.13'], platforms: ['linux_x86_64', 'macos_arm64'] });
    const lock = toml('tools/app/pylock.toml');
    expect(lock['lock-version']).toBe('1.0');
    expect(lock['requires-python']).toBe('>=3.10,<3.13');
    expect(lock.environments).toEqual(
      ['linux', 'darwin'].flatMap((os) =>
        ['3.10', '3.11', '3.12'].map(
          (py) =>
            `sys_platform == "${os}" and platform_machine == "${os === 'linux' ? 'x86_64' : 'arm64'}" and ` +
            `platform_python_implementation == "CPython" and python_version == "${py}"`,
        ),
      ),
    );
    expect(lock.packages.map((p: { name: string; marker?: string }) => [p.name, p.marker])).toEqual([
      ['pexnx-app', undefined],
      ['pexnx-macos', 'sys_platform == "darwin"'],
      ['pexnx-native', undefined],
      ['pexnx-tomlish', 'python_version < "3.11"'],
    ]);
    expect(lock.packages[2].wheels.map((w: { name: string; path: string }) => [w.name, w.path])).toEqual(
      [
        'pexnx_native-1.0-cp310-abi3-macosx_11_0_arm64.whl',
        'pexnx_native-1.0-cp310-abi3-manylinux2014_x86_64.whl',
        'pexnx_native-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      ].map((name) => [name, `../../../multi-wheels/${name}`]),
    );
    expect(lock.tool['pex-nx'].environments).toHaveLength(6);
    expect(lock.tool['pex-nx'].environments[0]).toEqual({ platform: 'linux_x86_64', python: '3.10', covered: true });
  });

  test('an environment asked for that cannot be satisfied fails the lock in one line, and nothing is written', () => {
    const before = fs.readFileSync(path.join(ws, 'tools/app/pylock.toml'), 'utf8');
    const r = runNx(ws, ['run', 'app:lock', '--platforms', 'linux_x86_64,linux_aarch64'], env);
    expect(r.code).not.toBe(0);
    expect(hasStackTrace(r.output)).toBe(false);
    const errors = errorLines(r.output);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        'pex: pexnx-native has no wheel for linux_aarch64-cp310 .*: narrow --platforms or --python, or provide a wheel of ' +
          'pexnx-native for linux_aarch64-cp310',
      ),
    );
    expect(fs.readFileSync(path.join(ws, 'tools/app/pylock.toml'), 'utf8')).toBe(before);
  });

  test('a default environment that cannot be satisfied is left out with one warning line, and recorded as not covered', () => {
    const r = runNx(ws, ['g', 'pex:tool', 'app2', '--requirements', 'pexnx-app', '--python', '==3.11.*'], env);
    expect(r.code).not.toBe(0);
    // --python is an explicit choice too: only nothing given leaves environments out.
    expect(errorLines(r.output)[0]).toMatch(/pex: pexnx-native has no wheel for linux_aarch64-cp311/);
    const d = runNx(ws, ['g', 'pex:tool', 'app3', '--requirements', 'pexnx-app'], env);
    expect([d.code, errorLines(d.output)]).toEqual([0, []]);
    const warnings = infoLines(d.output).filter((l) => l.startsWith('warning: left '));
    const lock = readLock(path.join(ws, 'tools/app3/pylock.toml'));
    const uncovered = lock.environments.filter((e: { covered: boolean }) => !e.covered);
    expect(uncovered.map((e: { platform: string }) => e.platform).sort()).toEqual(
      [...Array(uncovered.length / 2).fill('linux_aarch64'), ...Array(uncovered.length / 2).fill('macos_x86_64')].sort(),
    );
    expect(warnings).toHaveLength(uncovered.length);
    expect(warnings[0]).toMatch(
      /^warning: left linux_aarch64-cp3\d+ out of the lock: pexnx-native has no wheel for it; name the platforms/,
    );
    expect(toml('tools/app3/pylock.toml').tool['pex-nx'].environments).toContainEqual({ ...uncovered[0], covered: false });
  });

  test("nx.json's platforms are every lock's default, and the inferred lock target passes them", () => {
    const nxJson = JSON.parse(fs.readFileSync(path.join(ws, 'nx.json'), 'utf8'));
    nxJson.plugins = nxJson.plugins.map((p: string | { plugin: string }) =>
      (typeof p === 'string' ? p : p.plugin) === 'pex' ? { plugin: 'pex', options: { platforms: 'linux_x86_64' } } : p,
    );
    fs.writeFileSync(path.join(ws, 'nx.json'), JSON.stringify(nxJson, null, 2));
    const shown = runNx(ws, ['show', 'project', 'app3', '--json'], env);
    expect(JSON.parse(shown.stdout).targets.lock.options.platforms).toBe('linux_x86_64');
    const r = runNx(ws, ['run', 'app3:lock'], env);
    expect(r.code).toBe(0);
    const lock = readLock(path.join(ws, 'tools/app3/pylock.toml'));
    expect([...new Set(lock.environments.map((e: { platform: string }) => e.platform))]).toEqual(['linux_x86_64']);
    expect(infoLines(r.output)).toContainEqual(expect.stringMatching(/^ {2}- environments macos_arm64-cp3\d+/));
  });

  test('a lock of version 0.3.0 (one environment) converts on the next lock, keeping its pins', () => {
    const file = path.join(ws, 'tools/app/pylock.toml');
    const lock = parse(fs.readFileSync(file, 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    // What 0.3.0 wrote: one environment as (implementation, python, tag, platform), no markers, one file per package.
    lock.tool['pex-nx'].environments = [{ implementation: 'cpython', python: '3.11', tag: 'cp311', platform: 'linux_x86_64' }];
    lock.environments = [lock.environments[1]];
    lock['requires-python'] = '==3.11.*';
    lock.packages = lock.packages
      .filter((p: { name: string }) => !['pexnx-macos', 'pexnx-tomlish'].includes(p.name))
      .map((p: { wheels: Array<{ name: string }> }) => ({ ...p, wheels: p.wheels.filter((w) => /abi3-manylinux|none-any/.test(w.name)) }));
    fs.writeFileSync(file, stringify(lock));
    const old = readLock(file);
    expect(old.environments).toEqual([{ platform: 'linux_x86_64', python: '3.11', covered: true }]);
    expect(runNx(ws, ['run', 'app:pex'], env).code).toBe(0);
    const r = runNx(ws, ['run', 'app:lock'], env);
    expect(r.code).toBe(0);
    const lines = infoLines(r.output);
    expect(lines).toContainEqual(
      expect.stringMatching(/^locked 4 distributions for 6 environments into tools\/app\/pylock\.toml, \d changes:$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}pexnx-native 1\.0: other files \(/));
    expect(lines).toContainEqual('  + environments linux_x86_64-cp310, linux_x86_64-cp312, macos_arm64-cp310 and 2 more');
    expect(lines).toContainEqual('  + pexnx-macos 1.0');
    expect(lines).toContainEqual('  + pexnx-tomlish 1.0');
    expect(lockedFiles(readLock(file))).toHaveLength(6);
  });

  test('the archive of a multi-environment lock runs here', () => {
    const r = runNx(ws, ['run', 'app:pex'], env);
    expect(r.code).toBe(0);
    // The tool's name is no script of its wheels, so the archive is an interpreter: PEX_SCRIPT picks the script.
    const run = spawnSync(path.join(ws, 'dist/tools/app/app.pex'), [], { env: { ...env, PEX_SCRIPT: 'pexnx-app' }, encoding: 'utf8' });
    expect(run.stdout).toBe('pexnx-app 1.0\n');
    expect(run.status).toBe(0);
  });
});
