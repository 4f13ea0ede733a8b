import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  E2eContext,
  errorLines,
  hasStackTrace,
  infoLines,
  isolatedEnv,
  prepare,
  lockedFiles,
  readLock,
  runNx,
  workspaceCopy,
} from './setup';

/** Issue 13, what a new user sees: progress lines, change summaries, upgrades, portable locks, plain piped output. */
describe('the first hour of a new user', () => {
  let ctx: E2eContext;
  let ws: string;
  let links: string;
  const lockFile = () => path.join(ws, 'tools/hello/pylock.toml');
  const envWith = (findLinks: string, wheelCache = path.join(ctx.tmp, 'wheel-cache')) =>
    isolatedEnv({ pexRoot: path.join(ctx.tmp, 'pex-root'), wheelCache, pip: { PIP_FIND_LINKS: findLinks, PIP_NO_INDEX: '1' } });

  beforeAll(() => {
    ctx = prepare('firsthour');
    ws = workspaceCopy(ctx, 'ws');
    // A find-links dir in the workspace with hellotool 1.0.0's closure; 1.1.0 is "released" later.
    links = path.join(ws, 'wheels-a');
    fs.mkdirSync(links);
    for (const f of fs.readdirSync(ctx.wheels).filter((f) => !f.startsWith('hellotool-1.1.0')))
      fs.copyFileSync(path.join(ctx.wheels, f), path.join(links, f));
  });

  test('nx g pex:tool says what it resolves; the lock records local files relative to itself', () => {
    const r = runNx(ws, ['g', 'pex:tool', 'hello', '--requirements', 'hellotool'], envWith(links));
    expect(r.code).toBe(0);
    expect(infoLines(r.output)).toContainEqual(expect.stringMatching(/^resolving hellotool for \d+ environments with pip…$/));
    const text = fs.readFileSync(lockFile(), 'utf8');
    expect(text).not.toContain('file:');
    expect(text).not.toContain(ws);
    expect(lockedFiles(readLock(lockFile())).find((a: { name: string }) => a.name === 'hellotool').path).toBe(
      '../../wheels-a/hellotool-1.0.0-py3-none-any.whl',
    );
  });

  test('a relock says unchanged, keeps pins when a new version appears, and upgradePackage moves only that one', () => {
    const same = runNx(ws, ['run', 'hello:lock'], envWith(links));
    expect(same.code).toBe(0);
    expect(infoLines(same.output)).toContainEqual(
      expect.stringMatching(/^locked 4 distributions for \d+ environments into tools\/hello\/pylock\.toml, unchanged$/),
    );

    fs.copyFileSync(path.join(ctx.wheels, 'hellotool-1.1.0-py3-none-any.whl'), path.join(links, 'hellotool-1.1.0-py3-none-any.whl'));
    const kept = runNx(ws, ['run', 'hello:lock'], envWith(links));
    expect(infoLines(kept.output)).toContainEqual(expect.stringMatching(/, unchanged$/));

    const moved = runNx(ws, ['run', 'hello:lock', '--upgradePackage', 'hellotool'], envWith(links));
    expect(moved.code).toBe(0);
    const lines = infoLines(moved.output);
    expect(lines).toContainEqual(
      expect.stringMatching(/^locked 4 distributions for \d+ environments into tools\/hello\/pylock\.toml, 1 change:$/),
    );
    expect(lines).toContain('  hellotool 1.0.0 → 1.1.0');

    const typo = runNx(ws, ['run', 'hello:lock', '--upgradePackage', 'helotool'], envWith(links));
    expect(typo.code).not.toBe(0);
    expect(errorLines(typo.output)).toEqual([
      expect.stringMatching(
        /^pex: upgradePackage helotool is not in the lock \(locked: .*hellotool.*\), tools\/hello\/pylock\.toml: check the spelling/,
      ),
    ]);
  });

  test('after the find-links dir moves, the archive still builds from where the files are now, and says where', () => {
    const moved = path.join(ws, 'wheels-b');
    fs.renameSync(links, moved);
    const r = runNx(ws, ['run', 'hello:pex', '--skip-nx-cache'], envWith(moved, path.join(ctx.tmp, 'empty-wheel-cache')));
    expect(r.code).toBe(0);
    const relocated = infoLines(r.output).filter((l) => l.includes(' is not at '));
    expect(relocated).toHaveLength(4);
    expect(relocated).toContainEqual(
      `hellotool-1.1.0-py3-none-any.whl is not at ${path.join(ws, 'wheels-a/hellotool-1.1.0-py3-none-any.whl')}: using ` +
        `file://${fs.realpathSync(moved)}/hellotool-1.1.0-py3-none-any.whl (same sha256)`,
    );
    expect(spawnSync(path.join(ws, 'dist/tools/hello/hello.pex'), ['--version'], { encoding: 'utf8', env: envWith(moved) }).stdout).toBe(
      'hellotool 1.1.0\n',
    );
    fs.renameSync(moved, links);
  });

  test('an entry point no locked wheel provides fails the build in one line', () => {
    const g = runNx(ws, ['g', 'pex:tool', 'broken', '--requirements', 'hellotool', '--entryPoint', 'nosuchmod:main'], envWith(links));
    expect(g.code).toBe(0);
    const r = runNx(ws, ['run', 'broken:pex'], envWith(links));
    expect(r.code).not.toBe(0);
    expect(errorLines(r.output)).toEqual([
      expect.stringMatching(
        new RegExp(
          /^pex: entry point 'nosuchmod:main' names module 'nosuchmod' that neither the locked wheels nor the tool's /.source +
            /sources provide \(top-level modules: .*hellotool.*\), tools\/broken\/pylock\.toml: fix the entry point, /.source +
            /or add the distribution that provides it to requirements\.txt$/.source,
        ),
      ),
    ]);
    expect(hasStackTrace(r.output)).toBe(false);
    expect(fs.existsSync(path.join(ws, 'dist/tools/broken/broken.pex'))).toBe(false);
  });

  test('piped output has no terminal escape codes in our lines, errors included', () => {
    // Read nx's raw output here: runNx strips colours.
    const nx = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync(path.join(ws, 'node_modules/.bin/nx'), args, { cwd: ws, env: { ...envWith(links), ...extra }, encoding: 'utf8' });
      const output = `${r.stdout}\n${r.stderr}`;
      return { code: r.status, ours: output.split('\n').filter((l) => /pex: |\[pex\] /.test(l)), errors: errorLines(output) };
    };
    const exited = nx(['run', 'hello:run', '--', '--exit', '3']);
    expect(exited.code).not.toBe(0);
    expect(exited.errors).toEqual(['pex: hello exited with code 3, dist/tools/hello/hello.pex: its output above says why']);
    // The archive's own error names the archive the user ran, not the venv in PEX_ROOT; the plugin's line follows it.
    const runtime = nx(['run', 'hello:run'], { PEX_SCRIPT: 'nosuch' });
    expect(runtime.errors).toEqual([
      expect.stringMatching(new RegExp(`^pex: no script 'nosuch' in this venv, ${ws}/dist/tools/hello/hello\\.pex: use one of: .*hello`)),
      'pex: hello exited with code 1, dist/tools/hello/hello.pex: its output above says why',
    ]);
    const built = nx(['run', 'hello:pex', '--skip-nx-cache']);
    expect(built.ours).toContainEqual(expect.stringMatching(/^\[pex\] wrote dist\/tools\/hello\/hello\.pex/));
    for (const line of [...exited.ours, ...runtime.ours, ...built.ours]) expect(line).not.toContain('\x1b');
  });
});
