import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { E2eContext, hasStackTrace, isolatedEnv, lockedFiles, prepare, readLock, runNx, settle, workspaceCopy } from './setup';

const { startIndexProcess } = require('../scripts/lib/index-server');

const USER = 'ci-user';
const SECRET = 's3cr3t-token';

/** Every regular file under `dir` (symlinks not followed) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string, skip: string[] = []): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (skip.includes(entry.name)) continue;
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && fs.readFileSync(file).includes(needle)) found.push(file);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/** Issue: index credentials never reach a lock, PEX-INFO, an archive, the Nx cache or a log. */
describe('index credentials', () => {
  let ctx: E2eContext;
  let index: { url: string; requests: string[]; close: () => Promise<void> };

  beforeAll(async () => {
    ctx = prepare('secrets');
    index = await startIndexProcess(ctx.wheels, { auth: { user: USER, password: SECRET } });
  });
  afterAll(() => index?.close());

  /** Generate, lock, build, materialize and run a tool; every output must be free of the secret. */
  async function flowWithoutLeaks(name: string, env: NodeJS.ProcessEnv) {
    const ws = workspaceCopy(ctx, name);
    const before = index.requests.length;
    let output = '';
    for (const args of [
      ['g', 'pex:tool', 'hello', '--requirements', 'hellotool==1.0.0'],
      ['run', 'hello:lock', '--skip-nx-cache'],
      ['run', 'hello:pex'],
      ['run', 'hello:venv'],
      ['run', 'hello:pex', '--skip-nx-cache', '--verbose'],
    ]) {
      const r = runNx(ws, args, env);
      output += r.output;
      expect({ args, code: r.code, trace: hasStackTrace(r.output) }).toEqual({ args, code: 0, trace: false });
    }
    const archive = path.join(ws, 'dist/tools/hello/hello.pex');
    const run = spawnSync(archive, ['--version'], { env: { ...env, PEX_VERBOSE: '1' }, encoding: 'utf8' });
    expect(run.stdout).toBe('hellotool 1.0.0\n');
    output += run.stdout + run.stderr;
    const info = spawnSync(archive, ['info'], { env: { ...env, PEX_TOOLS: '1' }, encoding: 'utf8' });
    output += info.stdout + info.stderr;

    // The index was really used, with the credentials.
    await settle();
    expect(index.requests.slice(before).some((u) => u.startsWith('/files/hellotool-1.0.0'))).toBe(true);
    const lock = readLock(path.join(ws, 'tools/hello/pylock.toml'));
    expect(lockedFiles(lock).map((a: { url: string }) => a.url.replace(/\/files\/.*/, ''))).toEqual(
      lockedFiles(lock).map(() => index.url.replace('/simple/', '')),
    );

    expect(output).not.toContain(SECRET);
    // The workspace (lock, dist, .nx/cache, .nx/workspace-data), PEX_ROOT and the wheel cache.
    expect(filesContaining(ws, SECRET, ['node_modules', '.git'])).toEqual([]);
    expect(fs.existsSync(path.join(ws, '.nx', 'cache'))).toBe(true);
    expect(filesContaining(env.PEX_ROOT as string, SECRET)).toEqual([]);
    expect(filesContaining(env.PEX_NX_WHEEL_CACHE as string, SECRET)).toEqual([]);
  }

  test('PIP_INDEX_URL with user:password', async () => {
    const env = isolatedEnv({
      pexRoot: path.join(ctx.tmp, 'root-url'),
      wheelCache: path.join(ctx.tmp, 'cache-url'),
      pip: { PIP_INDEX_URL: index.url.replace('http://', `http://${USER}:${SECRET}@`) },
    });
    await flowWithoutLeaks('ws-url', env);
  });

  test('a netrc file', async () => {
    const home = path.join(ctx.tmp, 'home');
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login ${USER} password ${SECRET}\n`, { mode: 0o600 });
    const env = {
      ...isolatedEnv({
        pexRoot: path.join(ctx.tmp, 'root-netrc'),
        wheelCache: path.join(ctx.tmp, 'cache-netrc'),
        pip: { PIP_INDEX_URL: index.url },
      }),
      HOME: home,
    };
    await flowWithoutLeaks('ws-netrc', env);
    expect(filesContaining(home, SECRET)).toEqual([path.join(home, '.netrc')]);
  });
});
