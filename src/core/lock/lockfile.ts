import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { PexError, stripCredentials, writeFileAtomic } from '../common';
import { environmentId, environmentMarker, isPlatform, LockEnvironment, markerValues, Platform, PLATFORMS } from '../python';
import { Requirements, requirementsHash } from '../requirements';
import { parseSdistName } from '../wheel';
import {
  checkConstraints,
  checkFilename,
  field,
  HTTP_URL,
  isObject,
  isString,
  isStringList,
  isTableList,
  Malformed,
  RELATIVE_PATH,
  SHA256,
} from './fields';
import { parseLegacyJsonLock } from './legacyJson';
import { evaluateMarker, packageMarker } from './markers';
import { LEGACY_LOCK_FILE_NAME, LOCK_FILE_NAME } from './names';

export interface LockedArtifact {
  /** PEP 503 canonical. */
  name: string;
  version: string;
  /** A wheel, or an sdist that the fetch builds into a wheel once per interpreter (see wheelCache). */
  filename: string;
  /**
   * Where a remote file came from: an http(s) URL without credentials. Only locks read from a
   * `pex.lock.json` of version 1 hold local files here, as `file:<workspace-relative path>` or `file:///abs`.
   */
  url?: string;
  /**
   * A local file (find-links dir, local index), relative to the lock file's directory with `/`
   * separators, as PEP 751's `path`: the lock does not depend on where the workspace is.
   */
  path?: string;
  /** Bytes, when the file was at hand while locking (a local file, or one pip downloaded to hash it). */
  size?: number;
  sha256: string;
}

export interface LockedPackage {
  /** PEP 503 canonical. */
  name: string;
  version: string;
  /** Ids of the locked environments that install this version (all covered ones → no marker in the file). */
  environments: string[];
  /** Its wheels, each once, or one sdist (only ever for the locking interpreter's own environment). */
  files: LockedArtifact[];
}

export interface Lockfile {
  requirements: string[];
  pipOptions: string[];
  requirementsHash: string;
  interpreterConstraints: string[];
  /** The environments asked for, in order; `covered: false` for a default one that could not be satisfied. */
  environments: Array<LockEnvironment & { covered: boolean }>;
  /** Sorted by name, then version. */
  packages: LockedPackage[];
}

/*
 * pylock.toml, as this plugin writes it (README, "The lock file"):
 *   lock-version, environments (one marker per covered environment), requires-python, created-by;
 *   [[packages]] name, version, `marker` when not every covered environment installs it, and its files:
 *   `wheels = [...]` and/or `sdist`, each with name, `url` (an index's file) or `path` (a local file,
 *   relative to the lock), size, hashes.sha256;
 *   [tool.pex-nx] requirements, pip-options, requirements-hash, interpreter-constraints, and
 *   [[tool.pex-nx.environments]] (platform, python, covered) — the environments asked for.
 * A package's environments are read back by evaluating its marker against each covered environment.
 * Version 0.3.0 wrote one environment as (implementation, python, tag, platform): still read.
 */

const CREATED_BY = 'pex-nx';
const TOOL = 'pex-nx';

/** The covered environments of a lock, in its order. */
export const coveredEnvironments = (lock: Lockfile): LockEnvironment[] =>
  lock.environments.filter((e) => e.covered).map(({ platform, python }) => ({ platform, python }));

/** Every file of the lock, each once, in package order. */
export function lockedFiles(lock: Lockfile): LockedArtifact[] {
  const seen = new Set<string>();
  return lock.packages.flatMap((p) => p.files).filter((f) => !seen.has(f.sha256 + f.filename) && !!seen.add(f.sha256 + f.filename));
}

/** `>=3.9,<3.14` (with `!=3.X.*` for a minor in between that is not covered) for the covered minors. */
export function requiresPython(minors: string[]): string {
  const numbers = [...new Set(minors.map((m) => Number(m.split('.')[1])))].sort((a, b) => a - b);
  if (!numbers.length) return '>=3';
  const [low, high] = [numbers[0], numbers[numbers.length - 1]];
  const gaps = Array.from({ length: high - low + 1 }, (_, i) => low + i).filter((m) => !numbers.includes(m));
  return [`>=3.${low}`, `<3.${high + 1}`, ...gaps.map((m) => `!=3.${m}.*`)].join(',');
}

/** A wheel platform tag of version 0.3.0's single environment → the platform it is. */
function platformOfTag(tag: string): Platform | null {
  const linux = /^(?:many)?linux[_\d]*_(x86_64|aarch64)$/.exec(tag);
  const mac = /^macosx_\d+_\d+_(arm64|x86_64)$/.exec(tag);
  const platform = linux ? `linux_${linux[1]}` : mac ? `macos_${mac[1]}` : '';
  return isPlatform(platform) ? platform : null;
}

/** A single-environment lock (the JSON lock, version 0.3.0's pylock.toml) in the multi-environment model. */
export function singleEnvironment(interpreter: { platform: string; version: string }, at: string): LockEnvironment & { covered: boolean } {
  const platform = platformOfTag(interpreter.platform);
  if (!platform) throw new Malformed(`${at}.platform '${interpreter.platform}' is none of ${PLATFORMS.join(', ')}`);
  return { platform, python: interpreter.version, covered: true };
}

const compareVersions = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const byNameAndVersion = (a: LockedPackage, b: LockedPackage) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version);

/** `7 distributions for 20 environments` (or `for linux_x86_64-cp311`): what a lock line says it locked. */
export function lockSummary(lock: Lockfile): string {
  const covered = coveredEnvironments(lock);
  const names = new Set(lock.packages.map((p) => p.name)).size;
  return `${names} distributions for ${covered.length === 1 ? environmentId(covered[0]) : `${covered.length} environments`}`;
}

/** A package's files in the lock's order: wheels by file name, then the sdist. */
export const orderFiles = (files: LockedArtifact[]) =>
  [...files].sort(
    (a, b) => Number(!a.filename.endsWith('.whl')) - Number(!b.filename.endsWith('.whl')) || (a.filename < b.filename ? -1 : 1),
  );

/** Packages in the lock's order: by name, then version. */
export const sortPackages = (packages: LockedPackage[]) => [...packages].sort(byNameAndVersion);

function fileOf(table: Record<string, unknown>, at: string, name: string, version: string): LockedArtifact {
  const filename = field<string>(table.name, `${at}.name`, 'a file name', isString);
  if (table.url !== undefined && table.path !== undefined) throw new Malformed(`${at} has both url and path: keep one`);
  const where =
    table.path !== undefined
      ? {
          path: field<string>(
            table.path,
            `${at}.path`,
            'a relative path with / separators',
            (v) => typeof v === 'string' && RELATIVE_PATH.test(v),
          ),
        }
      : {
          url: field<string>(
            table.url,
            `${at}.url`,
            'an http(s) URL (or a path for a local file)',
            (v) => typeof v === 'string' && HTTP_URL.test(v),
          ),
        };
  const size =
    table.size === undefined
      ? {}
      : {
          size: field<number>(
            table.size,
            `${at}.size`,
            'a whole number of bytes',
            (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
          ),
        };
  const hashes = field<Record<string, unknown>>(table.hashes, `${at}.hashes`, 'a table', isObject);
  const sha256 = field<string>(
    hashes.sha256,
    `${at}.hashes.sha256`,
    '64 lowercase hex digits',
    (v) => typeof v === 'string' && SHA256.test(v),
  );
  const artifact: LockedArtifact = { name, version, filename, ...where, ...size, sha256 };
  checkFilename(artifact, at, 'name');
  return artifact;
}

function validatePylock(data: Record<string, unknown>): Lockfile {
  field<string>(
    data['lock-version'],
    'lock-version',
    '"1.0" (PEP 751 lock version 1, which this plugin reads)',
    (v) => typeof v === 'string' && /^1\.\d+$/.test(v),
  );
  field<string[]>(data.environments ?? [], 'environments', 'a list of marker strings', isStringList);
  field<string>(data['requires-python'] ?? '>=0', 'requires-python', 'a version specifier string', isString);
  const tool = field<Record<string, unknown>>(
    data.tool,
    'tool',
    `a table with [tool.${TOOL}] (this lock was not written by the pex plugin)`,
    isObject,
  );
  const own = field<Record<string, unknown>>(tool[TOOL], `tool.${TOOL}`, 'a table (this lock was not written by the pex plugin)', isObject);
  const at = `tool.${TOOL}`;
  const requirements = field<string[]>(own.requirements, `${at}.requirements`, 'a list of strings', isStringList);
  const pipOptions = field<string[]>(own['pip-options'], `${at}.pip-options`, 'a list of strings', isStringList);
  const hash = field<string>(
    own['requirements-hash'],
    `${at}.requirements-hash`,
    '64 lowercase hex digits',
    (v) => typeof v === 'string' && SHA256.test(v),
  );
  if (hash !== requirementsHash({ requirements, pipOptions })) {
    throw new Malformed(`${at}.requirements-hash does not match requirements and pip-options (edited by hand?)`);
  }
  const interpreterConstraints = field<string[]>(
    own['interpreter-constraints'],
    `${at}.interpreter-constraints`,
    'a list of strings',
    isStringList,
  );
  checkConstraints(interpreterConstraints, `${at}.interpreter-constraints`);
  const environments = readEnvironments(own.environments, `${at}.environments`);
  const covered = environments.filter((e) => e.covered);
  if (!covered.length) throw new Malformed(`${at}.environments must have a covered environment`);
  const list = field<unknown[]>(data.packages ?? [], 'packages', 'a list of tables', isTableList);
  const packages = list.map((item, i) => readPackage(item as Record<string, unknown>, `packages[${i}]`, covered));
  const seen = new Map<string, string>();
  for (const p of packages) {
    for (const id of p.environments) {
      const key = `${p.name} ${id}`;
      if (seen.has(key)) throw new Malformed(`${p.name} ${seen.get(key)} and ${p.version} are both locked for ${id}: keep one`);
      seen.set(key, p.version);
    }
  }
  return { requirements, pipOptions, requirementsHash: hash, interpreterConstraints, environments, packages: sortPackages(packages) };
}

/** [[tool.pex-nx.environments]]: (platform, python, covered), or version 0.3.0's one (implementation, python, tag, platform). */
function readEnvironments(value: unknown, at: string): Lockfile['environments'] {
  const tables = field<Array<Record<string, unknown>>>(
    value,
    at,
    'a list of environment tables',
    (v) => isTableList(v) && (v as []).length > 0,
  );
  const python = (env: Record<string, unknown>, i: number) =>
    field<string>(env.python, `${at}[${i}].python`, "a 'major.minor' string", (v) => typeof v === 'string' && /^3\.\d+$/.test(v));
  if (tables.length === 1 && tables[0].covered === undefined && tables[0].tag !== undefined) {
    const env = tables[0];
    field<string>(env.implementation, `${at}[0].implementation`, '"cpython"', (v) => v === 'cpython');
    field<string>(env.tag, `${at}[0].tag`, 'a string', isString);
    const platform = field<string>(env.platform, `${at}[0].platform`, 'a string', isString);
    return [singleEnvironment({ platform, version: python(env, 0) }, `${at}[0]`)];
  }
  const environments = tables.map((env, i) => ({
    platform: field<Platform>(
      env.platform,
      `${at}[${i}].platform`,
      `one of ${PLATFORMS.join(', ')}`,
      (v) => typeof v === 'string' && isPlatform(v),
    ),
    python: python(env, i),
    covered: field<boolean>(env.covered, `${at}[${i}].covered`, 'true or false', (v) => typeof v === 'boolean'),
  }));
  const ids = environments.map(environmentId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Malformed(`${at} names ${twice} twice: keep one`);
  return environments;
}

function readPackage(p: Record<string, unknown>, at: string, covered: LockEnvironment[]): LockedPackage {
  const name = field<string>(p.name, `${at}.name`, 'a string', isString);
  const version = field<string>(p.version, `${at}.version`, 'a string', isString);
  let environments = covered.map(environmentId);
  if (p.marker !== undefined) {
    const marker = field<string>(p.marker, `${at}.marker`, 'a PEP 508 marker string', isString);
    try {
      environments = covered.filter((e) => evaluateMarker(marker, markerValues(e))).map(environmentId);
    } catch (e) {
      throw new Malformed(`${at}.marker (${name}) is not a PEP 508 marker: ${(e as Error).message}`);
    }
    if (!environments.length) throw new Malformed(`${at}.marker (${name}) matches none of the locked environments`);
  }
  const wheels = field<unknown[]>(p.wheels ?? [], `${at}.wheels`, 'a list of tables', isTableList);
  const sdist = p.sdist === undefined ? [] : [field<Record<string, unknown>>(p.sdist, `${at}.sdist`, 'a table', isObject)];
  if (wheels.length + sdist.length === 0) throw new Malformed(`${at} (${name}) must lock a file: wheels or an sdist`);
  const files = [
    ...wheels.map((w, i) => fileOf(w as Record<string, unknown>, `${at}.wheels[${i}]`, name, version)),
    ...sdist.map((t) => fileOf(t, `${at}.sdist`, name, version)),
  ];
  files.forEach((f, i) => {
    const isWheel = f.filename.endsWith('.whl');
    if (isWheel !== i < wheels.length) throw new Malformed(`${at} (${name}) lists ${f.filename} as ${isWheel ? 'an sdist' : 'a wheel'}`);
  });
  return { name, version, environments, files };
}

/** A pylock.toml's text → the lock; throws one-line PexErrors naming `where`. */
export function parsePylock(text: string, where: string): Lockfile {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const line = err instanceof TomlError ? `:${err.line}` : '';
    const why = String((err as Error).message)
      .split('\n')[0]
      .replace(/^Invalid TOML document: /, '');
    throw new PexError(`not valid TOML (${why})`, `${where}${line}`, 'fix it, or run the lock target to regenerate it');
  }
  try {
    return validatePylock(data);
  } catch (err) {
    if (err instanceof Malformed) throw new PexError(err.message, where, 'run the lock target to regenerate it');
    throw err;
  }
}

/** Reads a pylock.toml, or a `pex.lock.json` of an earlier version of the plugin (by its name). */
export function readLockfile(file: string): Lockfile {
  if (!existsSync(file)) throw new PexError('the lock does not exist', file, 'run the lock target to create it');
  if (!statSync(file).isFile()) {
    throw new PexError('the lock is not a file', file, 'point the lockFile option at the lock, or run the lock target');
  }
  const text = readFileSync(file, 'utf8');
  return isLegacyLock(file) ? parseLegacyJsonLock(text, file) : parsePylock(text, file);
}

/** A JSON lock is the format before pylock.toml: read, and converted by the next lock. */
export const isLegacyLock = (file: string) => file.endsWith('.json');

/** Where the lock at `file` lives from now on: a legacy JSON lock becomes the pylock.toml beside it. */
export const pylockFor = (file: string) => (isLegacyLock(file) ? path.join(path.dirname(file), LOCK_FILE_NAME) : file);

/** The JSON lock of an earlier version beside a pylock.toml (or the file itself), when there is one. */
export function legacyLockBeside(file: string): string | null {
  const legacy = isLegacyLock(file) ? file : path.join(path.dirname(file), LEGACY_LOCK_FILE_NAME);
  return existsSync(legacy) ? legacy : null;
}

function fileTable(a: LockedArtifact) {
  if (a.path === undefined && !HTTP_URL.test(stripCredentials(a.url ?? ''))) {
    throw new PexError(
      `${a.filename} is locked as ${a.url}`,
      'the lock records a local file by its path relative to the lock',
      'run the lock target',
    );
  }
  return {
    name: a.filename,
    ...(a.path !== undefined ? { path: a.path } : { url: stripCredentials(a.url!) }),
    ...(a.size !== undefined ? { size: a.size } : {}),
    hashes: { sha256: a.sha256 },
  };
}

/** The file's exact content: fixed key order, packages sorted by name and version, final newline, no credentials. */
export function formatLockfile(lock: Lockfile): string {
  const covered = coveredEnvironments(lock);
  const packages = sortPackages(lock.packages).map((p) => {
    const marker = packageMarker(p.environments, covered);
    const wheels = orderFiles(p.files.filter((f) => !parseSdistName(f.filename)));
    const sdist = p.files.find((f) => parseSdistName(f.filename));
    return {
      name: p.name,
      version: p.version,
      ...(marker ? { marker } : {}),
      ...(wheels.length ? { wheels: wheels.map(fileTable) } : {}),
      ...(sdist ? { sdist: fileTable(sdist) } : {}),
    };
  });
  const document = {
    'lock-version': '1.0',
    environments: covered.map(environmentMarker),
    'requires-python': requiresPython(covered.map((e) => e.python)),
    'created-by': CREATED_BY,
    packages,
    tool: {
      [TOOL]: {
        requirements: lock.requirements.map(stripCredentials),
        'pip-options': lock.pipOptions.map(stripCredentials),
        'requirements-hash': lock.requirementsHash,
        'interpreter-constraints': lock.interpreterConstraints,
        environments: lock.environments.map(({ platform, python, covered }) => ({ platform, python, covered })),
      },
    },
  };
  return stringifyToml(document) + '\n';
}

/** Writes atomically, and not at all when the content is unchanged (keeps mtimes and watchers quiet). */
export function writeLockfile(file: string, lock: Lockfile): void {
  const text = formatLockfile(lock);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileAtomic(file, text);
}

export function assertLockFresh(lock: Lockfile, reqs: Requirements, lockPath: string, fix: string): void {
  if (lock.requirementsHash !== requirementsHash(reqs)) {
    throw new PexError('the lock is stale: requirements.txt changed since it was locked', lockPath, `run ${fix}`);
  }
}
