import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PexError, silentReporter } from '../common';
import { sha256File } from '../common';
import { Lockfile } from '../lock';
import { inspectInterpreter, Interpreter } from '../python';
import { serveWheels } from '../testing/httpServer';
import { killMidWrite } from '../testing/kill';
import { lockOfFiles, withFiles } from '../testing/locks';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';
import { cachePath, defaultWheelCacheDir, fetchWheels } from './wheelCache';

// pip starts in about a second, more on a busy machine.
jest.setTimeout(60_000);

let root: string;
let interpreter: Interpreter;
let alpha: { file: string; sha256: string };
let beta: { file: string; sha256: string };

/** Everything under dir, relative, for "nothing else was written" checks. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function lockWith(urls: { alpha: string; beta: string }): Lockfile {
  return lockOfFiles(
    [
      { name: 'pexnx-alpha', version: '1.0', filename: path.basename(alpha.file), url: urls.alpha, sha256: alpha.sha256 },
      { name: 'pexnx-beta', version: '2.0', filename: path.basename(beta.file), url: urls.beta, sha256: beta.sha256 },
    ],
    interpreter.version.slice(0, 2).join('.'),
  );
}

let workspace: string;
let cacheDir: string;
const relativeLock = () => lockWith({ alpha: `file:wheels/${path.basename(alpha.file)}`, beta: `file:wheels/${path.basename(beta.file)}` });

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pex-cache-spec-'));
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
  const wheels = path.join(root, 'source-wheels');
  const a = await buildTestWheel(wheels, { name: 'pexnx-alpha', version: '1.0', requires: ['pexnx-beta'] });
  const b = await buildTestWheel(wheels, { name: 'pexnx-beta', version: '2.0' });
  alpha = { file: a, sha256: await sha256File(a) };
  beta = { file: b, sha256: await sha256File(b) };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  workspace = mkdtempSync(path.join(root, 'ws-'));
  cacheDir = mkdtempSync(path.join(root, 'cache-'));
  execFileSync('cp', ['-r', path.dirname(alpha.file), path.join(workspace, 'wheels')]);
});

describe('defaultWheelCacheDir', () => {
  it('prefers PEX_NX_WHEEL_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultWheelCacheDir({ PEX_NX_WHEEL_CACHE: '/c/w', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c/w');
    expect(defaultWheelCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/pex-nx/wheels');
    expect(defaultWheelCacheDir({ HOME: '/h' })).toBe('/h/.cache/pex-nx/wheels');
  });
});

describe('fetchWheels', () => {
  it('stores file wheels content-addressed and returns them in lock order', async () => {
    const fetched = await fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter });
    expect(fetched).toEqual([
      {
        filename: path.basename(alpha.file),
        sha256: alpha.sha256,
        path: path.join(cacheDir, 'sha256', alpha.sha256.slice(0, 2), alpha.sha256, path.basename(alpha.file)),
      },
      { filename: path.basename(beta.file), sha256: beta.sha256, path: cachePath(cacheDir, beta.sha256, path.basename(beta.file)) },
    ]);
    expect(readFileSync(fetched[0].path).equals(readFileSync(alpha.file))).toBe(true);
    expect(tree(cacheDir).filter((f) => !f.endsWith('.ok'))).toEqual(fetched.map((f) => path.relative(cacheDir, f.path)).sort());
  });

  it('reuses a verified entry without copying (the source may even be gone)', async () => {
    const [first] = await fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter });
    const before = statSync(first.path);
    renameSync(path.join(workspace, 'wheels'), path.join(workspace, 'moved'));
    const [again] = await fetchWheels(relativeLock(), {
      cacheDir,
      workspaceRoot: workspace,
      lockDir: workspace,
      interpreter: () => Promise.reject(new Error('not needed')),
    });
    const after = statSync(again.path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('detects a corrupted entry and fetches it again', async () => {
    const [first] = await fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter });
    writeFileSync(first.path, 'garbage');
    const [repaired] = await fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter });
    expect(await sha256File(repaired.path)).toBe(alpha.sha256);

    writeFileSync(first.path, 'garbage again');
    renameSync(path.join(workspace, 'wheels'), path.join(workspace, 'moved'));
    // The fetch looks for the file by its sha256 on the configured locations: here none (no index, no find-links).
    const noIndex = isolatedPipEnv({ PIP_NO_INDEX: '1' });
    await expect(
      fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter, env: noIndex }),
    ).rejects.toThrow(
      new RegExp(
        /wheels\/pexnx_alpha-1\.0-py3-none-any\.whl does not exist, .*, locked as file:wheels\/.*: restore the /.source +
          /file, set findLinks to where it is now, or re-run the lock target/.source,
      ),
    );
    expect(existsSync(first.path)).toBe(false);
  });

  it('refuses a source whose bytes changed, naming it and both hashes, storing nothing', async () => {
    const source = path.join(workspace, 'wheels', path.basename(beta.file));
    writeFileSync(source, Buffer.concat([readFileSync(source), Buffer.from('!')]));
    const error = await fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PexError);
    const message = (error as Error).message;
    expect(message).toContain(source);
    expect(message).toContain(beta.sha256);
    expect(message).toContain(await sha256File(source));
    expect(tree(path.join(cacheDir, 'sha256', beta.sha256.slice(0, 2)))).toEqual([]);
  });

  it('takes absolute file URLs as they are', async () => {
    const lock = lockWith({ alpha: pathToFileURL(alpha.file).href, beta: pathToFileURL(beta.file).href });
    const fetched = await fetchWheels(lock, { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter });
    expect(await sha256File(fetched[1].path)).toBe(beta.sha256);
  });

  it('lets concurrent fetchers share the cache', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(() => fetchWheels(relativeLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter })),
    );
    for (const fetched of runs) expect(await sha256File(fetched[0].path)).toBe(alpha.sha256);
    expect(tree(cacheDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('downloads http wheels with pip, authenticating with the credentials the requirements hold', async () => {
    const served = path.join(root, 'served');
    execFileSync('cp', ['-r', path.dirname(alpha.file), served]);
    const server = await serveWheels(served, { user: 'me', password: 's3cret' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const lock = lockWith({ alpha: `${base}/${path.basename(alpha.file)}`, beta: `${base}/${path.basename(beta.file)}` });
      lock.pipOptions = [`--find-links ${base}/`];
      const env = isolatedPipEnv();

      const unauthenticated = await fetchWheels(lock, { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter, env }).catch(
        (e: unknown) => e,
      );
      expect(unauthenticated).toBeInstanceOf(PexError);
      expect((unauthenticated as Error).message).toMatch(
        /^pip could not download the locked files \(.*\), pexnx_alpha-1\.0-py3-none-any\.whl, pexnx_beta-2\.0-py3-none-any\.whl: check/,
      );

      const pipOptions = [`--find-links http://me:s3cret@127.0.0.1:${server.port}/`];
      const fetched = await fetchWheels(lock, {
        cacheDir,
        workspaceRoot: workspace,
        lockDir: workspace,
        interpreter: async () => interpreter,
        env,
        pipOptions,
      });
      expect(await sha256File(fetched[0].path)).toBe(alpha.sha256);
      expect(await sha256File(fetched[1].path)).toBe(beta.sha256);
      expect(tree(cacheDir).filter((f) => !f.startsWith('sha256/'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('names an interpreter without pip when wheels must be downloaded, and stores nothing', async () => {
    const lock = lockWith({ alpha: `file:wheels/${path.basename(alpha.file)}`, beta: `http://127.0.0.1:9/${path.basename(beta.file)}` });
    const noPip = { ...interpreter, path: '/opt/no-pip/bin/python3', pip: null };
    const error = await fetchWheels(lock, { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter: noPip }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toBe(
      `this interpreter has no pip, which downloading ${path.basename(beta.file)} needs, /opt/no-pip/bin/python3: run ` +
        `'/opt/no-pip/bin/python3 -m ensurepip --upgrade', or set the python option to another interpreter`,
    );
    expect(tree(cacheDir).filter((f) => f.includes(beta.sha256) || f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a downloaded wheel whose bytes changed since locking', async () => {
    const served = path.join(root, 'served-changed');
    execFileSync('cp', ['-r', path.dirname(alpha.file), served]);
    writeFileSync(path.join(served, path.basename(beta.file)), 'changed on the server');
    const server = await serveWheels(served, { user: 'me', password: 'pw' });
    try {
      const base = `http://me:pw@127.0.0.1:${server.port}`;
      const lock = lockWith({
        alpha: `file:wheels/${path.basename(alpha.file)}`,
        beta: `http://127.0.0.1:${server.port}/${path.basename(beta.file)}`,
      });
      const env = isolatedPipEnv({ PIP_FIND_LINKS: `${base}/` });
      const error = await fetchWheels(lock, { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter, env }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PexError);
      expect((error as Error).message).toContain(beta.sha256);
      expect((error as Error).message).not.toContain('pw@');
      expect(existsSync(cachePath(cacheDir, beta.sha256, path.basename(beta.file)))).toBe(false);
    } finally {
      await server.close();
    }
  });

  describe('with a large wheel', () => {
    let big: { file: string; sha256: string };
    const bigLock = (): Lockfile =>
      lockOfFiles(
        [{ name: 'big', version: '1.0', filename: 'big-1.0-py3-none-any.whl', url: pathToFileURL(big.file).href, sha256: big.sha256 }],
        interpreter.version.slice(0, 2).join('.'),
      );
    beforeAll(async () => {
      // Wheel contents are not read when caching, so random bytes do; large enough to be caught mid-copy.
      const file = path.join(root, 'big', 'big-1.0-py3-none-any.whl');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(24 << 20));
      big = { file, sha256: await sha256File(file) };
    });

    it('two concurrent fetches into one cache never show a partial wheel at its final name', async () => {
      const target = cachePath(cacheDir, big.sha256, 'big-1.0-py3-none-any.whl');
      const seen: number[] = [];
      let watching = true;
      // Between the fetches' stream chunks: every size the final name ever has.
      const watch = async () => {
        while (watching) {
          if (existsSync(target)) seen.push(statSync(target).size);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const watcher = watch();
      const runs = await Promise.all(
        [1, 2].map(() => fetchWheels(bigLock(), { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter })),
      ).finally(() => (watching = false));
      await watcher;
      for (const [fetched] of runs) expect(await sha256File(fetched.path)).toBe(big.sha256);
      expect(seen.filter((size) => size !== statSync(big.file).size)).toEqual([]);
      expect(tree(cacheDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });

    it('a fetch killed mid-copy leaves no entry at the final name, and the next fetch succeeds', async () => {
      const target = cachePath(cacheDir, big.sha256, 'big-1.0-py3-none-any.whl');
      const options = { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter };
      const killed = await killMidWrite(path.join(__dirname, 'wheelCache.ts'), 'fetchWheels', [bigLock(), options], cacheDir, 1 << 20);
      expect(killed).toBe(true);
      expect(existsSync(target)).toBe(false);
      const [fetched] = await fetchWheels(bigLock(), options);
      expect(await sha256File(fetched.path)).toBe(big.sha256);
    }, 60_000);
  });
});

describe('a lock whose local files moved (portable locks)', () => {
  const pathLock = (): Lockfile => {
    const lock = relativeLock();
    return withFiles(lock, ({ url: _, ...a }) => ({ ...a, path: `../wheels/${a.filename}` }));
  };
  const lines: string[] = [];
  const steps: string[] = [];
  const report = {
    ...silentReporter,
    info: (line: string) => void lines.push(line),
    step: (line: string) => (steps.push(line), silentReporter.step(line)),
  };
  beforeEach(() => {
    lines.length = 0;
    steps.length = 0;
  });

  it('reads paths relative to the lock file', async () => {
    const fetched = await fetchWheels(pathLock(), {
      cacheDir,
      workspaceRoot: workspace,
      lockDir: path.join(workspace, 'tools'),
      interpreter,
      report,
    });
    expect(await sha256File(fetched[1].path)).toBe(beta.sha256);
    expect(lines).toEqual([]);
  });

  it('finds a file by its sha256 in the find-links pip is configured with, and says where', async () => {
    renameSync(path.join(workspace, 'wheels'), path.join(workspace, 'moved'));
    const env = isolatedPipEnv({ PIP_NO_INDEX: '1', PIP_FIND_LINKS: path.join(workspace, 'moved') });
    const fetched = await fetchWheels(pathLock(), {
      cacheDir,
      workspaceRoot: workspace,
      lockDir: path.join(workspace, 'tools'),
      interpreter,
      env,
      report,
    });
    expect(await Promise.all(fetched.map((w) => sha256File(w.path)))).toEqual([alpha.sha256, beta.sha256]);
    expect(lines).toEqual(
      [alpha, beta].map(
        (w) =>
          `${path.basename(w.file)} is not at ${path.join(workspace, 'wheels', path.basename(w.file))}: using ` +
          `${pathToFileURL(path.join(realpathSync(workspace), 'moved', path.basename(w.file))).href} (same sha256)`,
      ),
    );
  });

  it('downloads it from an index (here the findLinks of nx.json, over http) that has it', async () => {
    const served = path.join(workspace, 'served');
    renameSync(path.join(workspace, 'wheels'), served);
    const server = await serveWheels(served, { user: 'me', password: 'pw' });
    try {
      const env = isolatedPipEnv({ PIP_NO_INDEX: '1' });
      const index = { findLinks: [`http://me:pw@127.0.0.1:${server.port}/`] };
      const fetched = await fetchWheels(pathLock(), {
        cacheDir,
        workspaceRoot: workspace,
        lockDir: path.join(workspace, 'tools'),
        interpreter,
        env,
        index,
        report,
      });
      expect(await sha256File(fetched[0].path)).toBe(alpha.sha256);
      expect(steps).toEqual(['downloading 2 wheels with pip…']);
      // With the sizes a lock records, the line tells how much is coming.
      const sized = withFiles(pathLock(), (a) => ({ ...a, size: 700_000 }));
      steps.length = 0;
      await fetchWheels(sized, {
        cacheDir: path.join(workspace, 'cache-2'),
        workspaceRoot: workspace,
        lockDir: path.join(workspace, 'tools'),
        interpreter,
        env,
        index,
        report,
      });
      expect(steps).toEqual(['downloading 2 wheels (1.4 MB) with pip…']);
      expect(lines[0]).toBe(
        `${path.basename(alpha.file)} is not at ${path.join(workspace, 'wheels', path.basename(alpha.file))}: using ` +
          `http://127.0.0.1:${server.port}/${path.basename(alpha.file)} (same sha256)`,
      );
    } finally {
      await server.close();
    }
  });

  it('fetches a file its locked URL no longer serves from another configured location that has it', async () => {
    const gone = path.join(workspace, 'gone');
    mkdirSync(gone);
    const old = await serveWheels(gone, { user: 'me', password: 'pw' });
    const lock = lockWith({
      alpha: `http://127.0.0.1:${old.port}/${path.basename(alpha.file)}`,
      beta: `http://127.0.0.1:${old.port}/${path.basename(beta.file)}`,
    });
    // Logged in, the server answers 404: the files are gone from there.
    lock.pipOptions = [`--find-links http://me:pw@127.0.0.1:${old.port}/`];
    try {
      const env = isolatedPipEnv({ PIP_NO_INDEX: '1', PIP_FIND_LINKS: path.join(workspace, 'wheels') });
      const fetched = await fetchWheels(lock, { cacheDir, workspaceRoot: workspace, lockDir: workspace, interpreter, env, report });
      expect(await Promise.all(fetched.map((w) => sha256File(w.path)))).toEqual([alpha.sha256, beta.sha256]);
      expect(lines[0]).toBe(
        `${path.basename(alpha.file)} is not at http://127.0.0.1:${old.port}/${path.basename(alpha.file)}: using ` +
          `${pathToFileURL(path.join(realpathSync(workspace), 'wheels', path.basename(alpha.file))).href} (same sha256)`,
      );
    } finally {
      await old.close();
    }
  });

  it('does not take another file of the same name and version: only the locked sha256 counts', async () => {
    const other = path.join(workspace, 'other');
    await buildTestWheel(other, { name: 'pexnx-alpha', version: '1.0', files: { 'pexnx_alpha/extra.py': '' } });
    rmSync(path.join(workspace, 'wheels'), { recursive: true });
    const env = isolatedPipEnv({ PIP_NO_INDEX: '1', PIP_FIND_LINKS: other });
    const error = await fetchWheels(pathLock(), {
      cacheDir,
      workspaceRoot: workspace,
      lockDir: path.join(workspace, 'tools'),
      interpreter,
      env,
      report,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(
      new RegExp(
        /pexnx_alpha-1\.0-py3-none-any\.whl does not exist, and no configured index or find-links has a file with its /.source +
          /sha256, locked as \.\.\/wheels\/.*: restore the file/.source,
      ),
    );
  });
});
