import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import {
  PexError,
  Reporter,
  sha256File,
  silentReporter,
  stripCredentials,
  tempWriteStream,
  verifyingSha256,
  writeFileAtomic,
} from '../common';
import { coveredEnvironments, LockedArtifact, lockedFiles, Lockfile } from '../lock';
import { credentialSources, DownloadItem, pipDownload, pipLocate } from '../pip';
import { environmentId, Interpreter, wheelRank } from '../python';
import { IndexOptions, indexArgs } from '../resolve';
import { parseWheelName, WheelFile } from '../wheel';
import { wheelFromSdist } from './sdistBuild';

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
  /** The lock file's directory: artifacts' `path`s are relative to it. */
  lockDir: string;
  /** nx.json's or the target's index options: where a locked file that moved is looked for, before pip's own config. */
  index?: IndexOptions;
  report?: Reporter;
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

/** The local file an artifact names, or null for an http(s) one. */
function localSource(artifact: LockedArtifact, opts: FetchOptions): string | null {
  if (artifact.path !== undefined) return path.resolve(opts.lockDir, artifact.path);
  const url = artifact.url ?? '';
  if (url.startsWith('file://')) return fileURLToPath(url);
  // Version 1 locks: relative to the workspace root.
  if (url.startsWith('file:')) return path.resolve(opts.workspaceRoot, url.slice('file:'.length));
  if (/^https?:\/\//i.test(url)) return null;
  throw new PexError(`${artifact.filename} is locked with an unsupported URL '${url}'`, 'the lock', 're-run the lock target');
}

const indexUrls = (index: IndexOptions = {}) => [index.indexUrl ?? '', ...(index.extraIndexUrls ?? []), ...(index.findLinks ?? [])];

/**
 * Locked files that are no longer where the lock says are looked for, by sha256, on the
 * configured indexes and find-links; the user hears which location served each one.
 */
async function relocate(
  missing: Array<{ artifact: LockedArtifact; from: string }>,
  lock: Lockfile,
  opts: FetchOptions,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const [python, group] of byPython(missing, (m) => m.artifact, lock)) {
    const located = await pipLocate({
      interpreter: await interpreterOf(opts),
      pythonVersion: python,
      items: group.map((m) => m.artifact),
      pipOptions: opts.pipOptions ?? lock.pipOptions,
      indexArgs: indexArgs(opts.index ?? {}, opts.workspaceRoot),
      cwd: opts.requirementsDir ?? opts.workspaceRoot,
      env: opts.env,
    });
    located.forEach((url, filename) => found.set(filename, url));
  }
  for (const { artifact, from } of missing) {
    const url = found.get(artifact.filename);
    if (url === from) found.delete(artifact.filename);
    else if (url)
      (opts.report ?? silentReporter).info(
        `${artifact.filename} is not at ${stripCredentials(from)}: using ${stripCredentials(url)} (same sha256)`,
      );
  }
  return found;
}

/** Copies the relocated local files into the cache; returns the remote ones, to download. */
async function takeRelocated(
  moved: Array<{ artifact: LockedArtifact; url: string }>,
  opts: FetchOptions,
): Promise<Array<{ artifact: LockedArtifact; url: string }>> {
  for (const { artifact, url } of moved.filter((m) => m.url.startsWith('file:'))) {
    await store(fileURLToPath(url), artifact, cachePath(opts.cacheDir, artifact.sha256, artifact.filename), fileURLToPath(url));
  }
  return moved.filter((m) => !m.url.startsWith('file:'));
}

/**
 * The Python ('major.minor') a locked file is for: that of the first covered environment of its
 * package that it fits. pip downloads (and builds) it with that version's target flags.
 */
export function pythonOf(file: LockedArtifact, lock: Lockfile): string {
  const covered = coveredEnvironments(lock);
  const ids = new Set(lock.packages.filter((p) => p.files.includes(file)).flatMap((p) => p.environments));
  const mine = covered.filter((e) => ids.has(environmentId(e)));
  const tags = file.filename.endsWith('.whl') ? parseWheelName(file.filename).tags : null;
  const fits = mine.find((e) => tags === null || wheelRank(e, tags) !== null);
  return (fits ?? mine[0] ?? covered[0]).python;
}

/** Items grouped by the Python of their file, so that each pip call gets one --python-version. */
function byPython<T>(items: T[], fileOf: (item: T) => LockedArtifact, lock: Lockfile): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const python = pythonOf(fileOf(item), lock);
    groups.set(python, [...(groups.get(python) ?? []), item]);
  }
  return groups;
}

/**
 * Makes the locked files (default: every file of every environment) present and verified in the
 * content-addressed cache, and returns the wheels in the order of `files`: a locked sdist stands for
 * the wheel built from it (see sdistBuild).
 */
export async function fetchWheels(lock: Lockfile, opts: FetchOptions, files: LockedArtifact[] = lockedFiles(lock)): Promise<WheelFile[]> {
  const wheels = files.map((a) => ({
    filename: a.filename,
    sha256: a.sha256,
    path: cachePath(opts.cacheDir, a.sha256, a.filename),
  }));
  const downloads: Array<{ artifact: LockedArtifact; url: string }> = [];
  const missing: Array<{ artifact: LockedArtifact; from: string }> = [];
  for (const [i, artifact] of files.entries()) {
    const target = wheels[i].path;
    if (await usable(target, artifact.sha256)) continue;
    const source = localSource(artifact, opts);
    if (source === null) downloads.push({ artifact, url: artifact.url! });
    else if (!existsSync(source)) missing.push({ artifact, from: source });
    else await store(source, artifact, target, source);
  }
  if (missing.length) {
    const found = await relocate(missing, lock, opts);
    const lost = missing.find((m) => !found.has(m.artifact.filename));
    if (lost) {
      throw new PexError(
        `${lost.from} does not exist, and no configured index or find-links has a file with its sha256`,
        `locked as ${lost.artifact.path ?? lost.artifact.url}`,
        'restore the file, set findLinks to where it is now, or re-run the lock target',
      );
    }
    downloads.push(
      ...(await takeRelocated(
        missing.map(({ artifact }) => ({ artifact, url: found.get(artifact.filename)! })),
        opts,
      )),
    );
  }
  if (downloads.length) await download(downloads, lock, opts);
  const result: WheelFile[] = [];
  for (const [i, artifact] of files.entries()) {
    if (artifact.filename.endsWith('.whl')) {
      result.push(wheels[i]);
      continue;
    }
    result.push(
      await wheelFromSdist(wheels[i].path, artifact, pythonOf(artifact, lock), {
        cacheDir: opts.cacheDir,
        cwd: opts.requirementsDir ?? opts.workspaceRoot,
        interpreter: () => interpreterOf(opts),
        pipOptions: opts.pipOptions ?? lock.pipOptions,
        env: opts.env,
        report: opts.report,
      }),
    );
  }
  return result;
}

/**
 * One pip call for all missing http(s) files, into a temp dir inside the cache (same file
 * system, so renames are atomic). When it fails, the files are looked for by sha256 on the
 * configured locations (an index may have moved them), and fetched once more from there.
 */
async function download(downloads: Array<{ artifact: LockedArtifact; url: string }>, lock: Lockfile, opts: FetchOptions): Promise<void> {
  try {
    await downloadOnce(downloads, lock, opts);
  } catch (e) {
    // Only a file the server no longer has (404; not a refused login, a changed file or a missing pip) may have moved.
    if (!(e instanceof PexError) || !/^pip could not download .*\b404\b/.test(e.message)) throw e;
    const left = [];
    for (const d of downloads)
      if (!(await usable(cachePath(opts.cacheDir, d.artifact.sha256, d.artifact.filename), d.artifact.sha256))) left.push(d);
    const found = await relocate(
      left.map(({ artifact, url }) => ({ artifact, from: url })),
      lock,
      opts,
    );
    if (left.some((d) => !found.has(d.artifact.filename))) throw e;
    const remote = await takeRelocated(
      left.map(({ artifact }) => ({ artifact, url: found.get(artifact.filename)! })),
      opts,
    );
    if (remote.length) await downloadOnce(remote, lock, opts);
  }
}

/** ` (1.4 MB)` when the lock knows every file's size (it records them where it could see the file), else ''. */
function totalSize(artifacts: LockedArtifact[]): string {
  if (artifacts.some((a) => a.size === undefined)) return '';
  const bytes = artifacts.reduce((n, a) => n + (a.size ?? 0), 0);
  return bytes >= 1e6 ? ` (${(bytes / 1e6).toFixed(1)} MB)` : ` (${Math.max(1, Math.round(bytes / 1e3))} kB)`;
}

async function downloadOnce(
  downloads: Array<{ artifact: LockedArtifact; url: string }>,
  lock: Lockfile,
  opts: FetchOptions,
): Promise<void> {
  const wheels = downloads.filter((d) => d.artifact.filename.endsWith('.whl')).length;
  const sdists = downloads.length - wheels;
  const count = (n: number, what: string) => (n ? [`${n} ${what}${n === 1 ? '' : 's'}`] : []);
  const step = (opts.report ?? silentReporter).step(
    `downloading ${[...count(wheels, 'wheel'), ...count(sdists, 'sdist')].join(' and ')}` +
      `${totalSize(downloads.map((d) => d.artifact))} with pip…`,
  );
  try {
    const items: DownloadItem[] = downloads.map(({ artifact, url }) => ({
      name: artifact.name,
      filename: artifact.filename,
      url,
      sha256: artifact.sha256,
    }));
    for (const [python, group] of byPython(items, (item) => downloads[items.indexOf(item)].artifact, lock)) {
      await pipDownload({
        interpreter: await interpreterOf(opts),
        pythonVersion: python,
        items: group,
        credentialSources: credentialSources([...(opts.pipOptions ?? []), ...lock.pipOptions, ...indexUrls(opts.index)], opts.env),
        cwd: opts.workspaceRoot,
        env: opts.env,
        tempRoot: path.join(opts.cacheDir, 'tmp'),
        step,
        keep: async (dir) => {
          for (const { artifact, url } of downloads) {
            const downloaded = path.join(dir, artifact.filename);
            if (existsSync(downloaded))
              await store(downloaded, artifact, cachePath(opts.cacheDir, artifact.sha256, artifact.filename), stripCredentials(url));
          }
        },
      });
    }
  } finally {
    step.done();
  }
}
