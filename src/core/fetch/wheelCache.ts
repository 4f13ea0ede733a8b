import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { tempWriteStream, writeFileAtomic } from '../common';
import { PexError } from '../common';
import { sha256File, verifyingSha256 } from '../common';
import { LockedArtifact, Lockfile } from '../lock';
import { credentialSources, pipDownload } from '../pip';
import { Interpreter } from '../python';
import { wheelFromSdist } from './sdistBuild';

/** A locked wheel in the cache, or the wheel built from a locked sdist. */
export interface CachedWheel {
  filename: string;
  path: string;
  sha256: string;
}

export interface FetchOptions {
  cacheDir: string;
  workspaceRoot: string;
  /** Only needed (and, when a function, only called) when pip has to download something. */
  interpreter: Interpreter | (() => Promise<Interpreter>);
  env?: NodeJS.ProcessEnv;
  /**
   * The requirements file's options as written: credentials kept there (or their `${VAR}`s)
   * authenticate downloads. PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, netrc and keyring apply anyway.
   */
  pipOptions?: string[];
  /** Where the requirements file is: relative paths in pipOptions are relative to it. Default: workspaceRoot. */
  requirementsDir?: string;
}

/** $PEX_NX_WHEEL_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/pex-nx/wheels: shared by all workspaces of the user. */
export function defaultWheelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PEX_NX_WHEEL_CACHE) return path.resolve(env.PEX_NX_WHEEL_CACHE);
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'pex-nx', 'wheels');
}

export function cachePath(cacheDir: string, sha256: string, filename: string): string {
  return path.join(cacheDir, 'sha256', sha256.slice(0, 2), sha256, filename);
}

/*
 * Entries are verified once, when stored; a `<file>.ok` marker then records the size and
 * mtime seen right after. Reuse compares those with a stat instead of re-hashing every build:
 * a changed entry is re-hashed, and the archive writer re-hashes the bytes it copies anyway,
 * so silent corruption that keeps size and mtime is still caught before anything ships.
 */
interface Marker {
  size: number;
  mtimeMs: number;
}

function writeMarker(file: string): void {
  const { size, mtimeMs } = statSync(file);
  writeFileAtomic(`${file}.ok`, JSON.stringify({ size, mtimeMs } satisfies Marker));
}

function markerMatches(file: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(`${file}.ok`, 'utf8')) as Marker;
    const { size, mtimeMs } = statSync(file);
    return marker.size === size && marker.mtimeMs === mtimeMs;
  } catch {
    return false;
  }
}

/** A cached entry is usable when its marker matches, or when its bytes still hash right. */
async function usable(file: string, sha256: string): Promise<boolean> {
  if (markerMatches(file)) return true;
  if (!existsSync(file)) return false;
  if ((await sha256File(file)) === sha256) {
    writeMarker(file);
    return true;
  }
  rmSync(file, { force: true });
  rmSync(`${file}.ok`, { force: true });
  return false;
}

/** Copies `source` into the cache through a temp file; a hash mismatch stores nothing. */
async function store(source: string, artifact: LockedArtifact, target: string, what: string): Promise<void> {
  const { temp, stream } = tempWriteStream(target);
  try {
    const fix = 'it changed since it was locked; if that is intended, re-run the lock target';
    await pipeline(createReadStream(source), verifyingSha256(artifact.sha256, what, fix), stream);
    renameSync(temp, target);
    writeMarker(target);
  } finally {
    rmSync(temp, { force: true });
  }
}

async function interpreterOf(opts: FetchOptions): Promise<Interpreter> {
  return typeof opts.interpreter === 'function' ? opts.interpreter() : opts.interpreter;
}

function localSource(artifact: LockedArtifact, workspaceRoot: string): string | null {
  if (artifact.url.startsWith('file://')) return fileURLToPath(artifact.url);
  if (artifact.url.startsWith('file:')) return path.resolve(workspaceRoot, artifact.url.slice('file:'.length));
  if (/^https?:\/\//i.test(artifact.url)) return null;
  throw new PexError(`${artifact.filename} is locked with an unsupported URL '${artifact.url}': re-run the lock target`);
}

/**
 * Makes every locked file present and verified in the content-addressed cache, and returns the
 * wheels in lock order: a locked sdist stands for the wheel built from it (see sdistBuild).
 */
export async function fetchWheels(lock: Lockfile, opts: FetchOptions): Promise<CachedWheel[]> {
  const wheels = lock.artifacts.map((a) => ({ filename: a.filename, sha256: a.sha256, path: cachePath(opts.cacheDir, a.sha256, a.filename) }));
  const downloads: LockedArtifact[] = [];
  for (const [i, artifact] of lock.artifacts.entries()) {
    const target = wheels[i].path;
    if (await usable(target, artifact.sha256)) continue;
    const source = localSource(artifact, opts.workspaceRoot);
    if (source === null) {
      downloads.push(artifact);
    } else if (!existsSync(source)) {
      throw new PexError(`${source} does not exist (locked as ${artifact.url}): restore the file, or re-run the lock target`);
    } else {
      await store(source, artifact, target, source);
    }
  }
  if (downloads.length) await download(downloads, lock, opts);
  const result: CachedWheel[] = [];
  for (const [i, artifact] of lock.artifacts.entries()) {
    if (artifact.filename.endsWith('.whl')) {
      result.push(wheels[i]);
      continue;
    }
    result.push(
      await wheelFromSdist(wheels[i].path, artifact, lock, {
        cacheDir: opts.cacheDir,
        cwd: opts.requirementsDir ?? opts.workspaceRoot,
        interpreter: () => interpreterOf(opts),
        pipOptions: opts.pipOptions ?? lock.pipOptions,
        env: opts.env,
      }),
    );
  }
  return result;
}

/** One pip call for all missing http(s) wheels, into a temp dir inside the cache (same file system, so renames are atomic). */
async function download(artifacts: LockedArtifact[], lock: Lockfile, opts: FetchOptions): Promise<void> {
  const tmpRoot = path.join(opts.cacheDir, 'tmp');
  mkdirSync(tmpRoot, { recursive: true });
  const dest = mkdtempSync(path.join(tmpRoot, 'download-'));
  try {
    const interpreter = await interpreterOf(opts);
    await pipDownload({
      interpreter,
      pythonVersion: lock.interpreter.version,
      items: artifacts,
      credentialSources: credentialSources([...(opts.pipOptions ?? []), ...lock.pipOptions], opts.env),
      dest,
      cwd: opts.workspaceRoot,
      env: opts.env,
    });
    for (const artifact of artifacts) {
      const downloaded = path.join(dest, artifact.filename);
      await store(downloaded, artifact, cachePath(opts.cacheDir, artifact.sha256, artifact.filename), artifact.url);
    }
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}
