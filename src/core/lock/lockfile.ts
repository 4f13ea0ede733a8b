import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { PexError, stripCredentials, writeFileAtomic } from '../common';
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

export interface Lockfile {
  requirements: string[];
  pipOptions: string[];
  requirementsHash: string;
  /** `version` is major.minor; `platform` is a wheel platform tag such as linux_x86_64. */
  interpreter: { implementation: string; version: string; tag: string; platform: string };
  interpreterConstraints: string[];
  /** Sorted by name. */
  artifacts: LockedArtifact[];
}

/*
 * pylock.toml, as this plugin writes it (README, "The lock file"):
 *   lock-version, environments (one marker per locked environment), requires-python, created-by;
 *   [[packages]] name, version, and its file: `wheels = [one wheel]` or `sdist`, each with name,
 *   `url` (an index's file) or `path` (a local file, relative to the lock), size, hashes.sha256;
 *   [tool.pex-nx] requirements, pip-options, requirements-hash, interpreter-constraints, and
 *   [[tool.pex-nx.environments]] (implementation, python, tag, platform) — the environments asked for.
 * The environments are lists so that a lock can name several; this version locks and reads one.
 */

const CREATED_BY = 'pex-nx';
const TOOL = 'pex-nx';

const MARKER_PLATFORMS: Array<[RegExp, string]> = [
  [/^linux_(.+)$/, 'linux'],
  [/^macosx_\d+_\d+_(arm64|x86_64)$/, 'darwin'],
];

/** The PEP 508 marker of one locked environment, evaluated by readers (pex, uv, pip) against their target. */
export function environmentMarker(interpreter: Lockfile['interpreter']): string {
  const clauses: string[] = [];
  for (const [pattern, sysPlatform] of MARKER_PLATFORMS) {
    const machine = pattern.exec(interpreter.platform)?.[1];
    if (machine) clauses.push(`sys_platform == "${sysPlatform}"`, `platform_machine == "${machine}"`);
  }
  if (interpreter.implementation === 'cpython') clauses.push('platform_python_implementation == "CPython"');
  clauses.push(`python_version == "${interpreter.version}"`);
  return clauses.join(' and ');
}

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
  const environments = field<unknown[]>(
    own.environments,
    `${at}.environments`,
    'a list of one environment table (this version of the plugin locks one)',
    (v) => isTableList(v) && (v as unknown[]).length === 1,
  );
  const env = environments[0] as Record<string, unknown>;
  const interpreter = {
    implementation: field<string>(env.implementation, `${at}.environments[0].implementation`, 'a string', isString),
    version: field<string>(
      env.python,
      `${at}.environments[0].python`,
      "a 'major.minor' string",
      (v) => typeof v === 'string' && /^\d+\.\d+$/.test(v),
    ),
    tag: field<string>(env.tag, `${at}.environments[0].tag`, 'a string', isString),
    platform: field<string>(env.platform, `${at}.environments[0].platform`, 'a string', isString),
  };
  const packages = field<unknown[]>(data.packages ?? [], 'packages', 'a list of tables', isTableList);
  const artifacts = packages.map((item, i): LockedArtifact => {
    const p = item as Record<string, unknown>;
    const at = `packages[${i}]`;
    const name = field<string>(p.name, `${at}.name`, 'a string', isString);
    const version = field<string>(p.version, `${at}.version`, 'a string', isString);
    if (p.marker !== undefined) throw new Malformed(`${at} (${name}) has a marker, which this version of the plugin does not evaluate`);
    const wheels = field<unknown[]>(p.wheels ?? [], `${at}.wheels`, 'a list of tables', isTableList);
    const sdist = p.sdist === undefined ? [] : [field<Record<string, unknown>>(p.sdist, `${at}.sdist`, 'a table', isObject)];
    if (wheels.length + sdist.length !== 1) {
      throw new Malformed(
        `${at} (${name}) must lock exactly one file, a wheel or an sdist (this version of the plugin locks one environment)`,
      );
    }
    return wheels.length
      ? fileOf(wheels[0] as Record<string, unknown>, `${at}.wheels[0]`, name, version)
      : fileOf(sdist[0], `${at}.sdist`, name, version);
  });
  return { requirements, pipOptions, requirementsHash: hash, interpreter, interpreterConstraints, artifacts };
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
    throw new PexError(`${where}${line}: not valid TOML (${why}): fix it or run the lock target to regenerate it`);
  }
  try {
    return validatePylock(data);
  } catch (err) {
    if (err instanceof Malformed) throw new PexError(`${where}: ${err.message}: run the lock target to regenerate it`);
    throw err;
  }
}

/** Reads a pylock.toml, or a `pex.lock.json` of an earlier version of the plugin (by its name). */
export function readLockfile(file: string): Lockfile {
  if (!existsSync(file)) throw new PexError(`${file} does not exist: run the lock target to create it`);
  if (!statSync(file).isFile()) throw new PexError(`${file} is not a file: point the lockFile option at the lock, or run the lock target`);
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

const byName = (a: LockedArtifact, b: LockedArtifact) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The file's exact content: fixed key order, packages sorted by name, final newline, no credentials. */
export function formatLockfile(lock: Lockfile): string {
  const packages = [...lock.artifacts].sort(byName).map((a) => {
    if (a.path === undefined && !HTTP_URL.test(stripCredentials(a.url ?? ''))) {
      throw new PexError(
        `${a.filename}: a lock records a local file by its path relative to the lock, not as ${a.url}: run the lock target`,
      );
    }
    const file = {
      name: a.filename,
      ...(a.path !== undefined ? { path: a.path } : { url: stripCredentials(a.url!) }),
      ...(a.size !== undefined ? { size: a.size } : {}),
      hashes: { sha256: a.sha256 },
    };
    return { name: a.name, version: a.version, ...(parseSdistName(a.filename) ? { sdist: file } : { wheels: [file] }) };
  });
  const document = {
    'lock-version': '1.0',
    environments: [environmentMarker(lock.interpreter)],
    'requires-python': `==${lock.interpreter.version}.*`,
    'created-by': CREATED_BY,
    packages,
    tool: {
      [TOOL]: {
        requirements: lock.requirements.map(stripCredentials),
        'pip-options': lock.pipOptions.map(stripCredentials),
        'requirements-hash': lock.requirementsHash,
        'interpreter-constraints': lock.interpreterConstraints,
        environments: [
          {
            implementation: lock.interpreter.implementation,
            python: lock.interpreter.version,
            tag: lock.interpreter.tag,
            platform: lock.interpreter.platform,
          },
        ],
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
    throw new PexError(`${lockPath} is stale: requirements.txt changed since it was locked; run ${fix}`);
  }
}
