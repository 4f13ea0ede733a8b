import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../common';
import { parseConstraint } from '../python';
import { PexError } from '../common';
import { Requirements, requirementsHash } from '../requirements';
import { stripCredentials } from '../common';
import { canonicalName, parseSdistName, parseWheelName } from '../wheel';

export interface LockedArtifact {
  /** PEP 503 canonical. */
  name: string;
  version: string;
  /** A wheel, or an sdist that the fetch builds into a wheel once per interpreter (see wheelCache). */
  filename: string;
  /**
   * Where a remote file came from: an http(s) URL without credentials. Locks of version 1 also
   * hold local files here, as `file:<path relative to the workspace root>` or `file:///abs/path`.
   */
  url?: string;
  /**
   * A local file (find-links dir, local index), relative to the lock file's directory with `/`
   * separators, as PEP 751's `path`: the lock does not depend on where the workspace is.
   */
  path?: string;
  sha256: string;
}

export interface Lockfile {
  /** 2 when an artifact has a `path` (older plugins cannot read those), else 1. */
  lockVersion: 1 | 2;
  requirements: string[];
  pipOptions: string[];
  requirementsHash: string;
  /** `version` is major.minor; `platform` is a wheel platform tag such as linux_x86_64. */
  interpreter: { implementation: string; version: string; tag: string; platform: string };
  interpreterConstraints: string[];
  /** Sorted by name. */
  artifacts: LockedArtifact[];
}

const SHA256 = /^[0-9a-f]{64}$/;
// What the lock writes: http(s)://…, file:///abs/path or file:<workspace-relative path>; no whitespace.
const URL_FORM = /^(https?:\/\/[^\s/]+\/|file:)[^\s]+$/i;
// A lock-relative path: no leading slash, no backslash, no empty or `.` segments.
const RELATIVE_PATH = /^(?!\/)(?!.*\\)(?!(.*\/)?\.?(\/|$))[^\n]+$/;

class Malformed extends Error {}

function field<T>(value: unknown, where: string, expected: string, ok: (v: unknown) => boolean): T {
  if (!ok(value)) throw new Malformed(`${where} must be ${expected}`);
  return value as T;
}

const isString = (v: unknown) => typeof v === 'string' && v !== '';
const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

function validate(data: unknown): Lockfile {
  const root = field<Record<string, unknown>>(data, 'the top level', 'a JSON object', isObject);
  const lockVersion = field<1 | 2>(
    root.lockVersion,
    'lockVersion',
    '1 or 2 (the lock versions this plugin reads)',
    (v) => v === 1 || v === 2,
  );
  const requirements = field<string[]>(root.requirements, 'requirements', 'a list of strings', isStringList);
  const pipOptions = field<string[]>(root.pipOptions, 'pipOptions', 'a list of strings', isStringList);
  const hash = field<string>(
    root.requirementsHash,
    'requirementsHash',
    '64 lowercase hex digits',
    (v) => typeof v === 'string' && SHA256.test(v),
  );
  if (hash !== requirementsHash({ requirements, pipOptions })) {
    throw new Malformed('requirementsHash does not match requirements and pipOptions (edited by hand?)');
  }
  const interp = field<Record<string, unknown>>(root.interpreter, 'interpreter', 'an object', isObject);
  const interpreter = {
    implementation: field<string>(interp.implementation, 'interpreter.implementation', 'a string', isString),
    version: field<string>(
      interp.version,
      'interpreter.version',
      "a 'major.minor' string",
      (v) => typeof v === 'string' && /^\d+\.\d+$/.test(v),
    ),
    tag: field<string>(interp.tag, 'interpreter.tag', 'a string', isString),
    platform: field<string>(interp.platform, 'interpreter.platform', 'a string', isString),
  };
  const interpreterConstraints = field<string[]>(root.interpreterConstraints, 'interpreterConstraints', 'a list of strings', isStringList);
  interpreterConstraints.forEach((c, i) => {
    try {
      parseConstraint(c);
    } catch (err) {
      throw new Malformed(`interpreterConstraints[${i}]: ${(err as Error).message}`);
    }
  });
  const list = field<unknown[]>(root.artifacts, 'artifacts', 'a list', Array.isArray);
  const artifacts = list.map((item, i): LockedArtifact => {
    const at = `artifacts[${i}]`;
    const a = field<Record<string, unknown>>(item, at, 'an object', isObject);
    const artifact = {
      name: field<string>(a.name, `${at}.name`, 'a string', isString),
      version: field<string>(a.version, `${at}.version`, 'a string', isString),
      filename: field<string>(a.filename, `${at}.filename`, 'a string', isString),
      ...(a.path !== undefined && lockVersion === 2
        ? {
            path: field<string>(
              a.path,
              `${at}.path`,
              'a relative path with / separators',
              (v) => typeof v === 'string' && RELATIVE_PATH.test(v),
            ),
          }
        : { url: field<string>(a.url, `${at}.url`, 'an http(s) or file URL', (v) => typeof v === 'string' && URL_FORM.test(v)) }),
      sha256: field<string>(a.sha256, `${at}.sha256`, '64 lowercase hex digits', (v) => typeof v === 'string' && SHA256.test(v)),
    };
    let file: { name: string; version: string } | null;
    try {
      file = parseWheelName(artifact.filename);
    } catch {
      file = parseSdistName(artifact.filename);
    }
    if (!file) {
      throw new Malformed(`${at}.filename must be a wheel or sdist file name, not '${artifact.filename}'`);
    }
    if (file.name !== canonicalName(artifact.name) || file.version !== artifact.version) {
      throw new Malformed(`${at}: filename ${artifact.filename} is not ${artifact.name} ${artifact.version}`);
    }
    return artifact;
  });
  return { lockVersion, requirements, pipOptions, requirementsHash: hash, interpreter, interpreterConstraints, artifacts };
}

function lineOf(text: string, err: unknown): number | null {
  const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
  return position === undefined ? null : text.slice(0, Number(position)).split('\n').length;
}

export function readLockfile(file: string): Lockfile {
  if (!existsSync(file)) throw new PexError(`${file} does not exist: run the lock target to create it`);
  if (!statSync(file).isFile()) throw new PexError(`${file} is not a file: point the lockFile option at the lock, or run the lock target`);
  const text = readFileSync(file, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const line = lineOf(text, err);
    throw new PexError(`${file}${line ? `:${line}` : ''}: not valid JSON: fix it or run the lock target to regenerate it`);
  }
  try {
    return validate(data);
  } catch (err) {
    if (err instanceof Malformed) throw new PexError(`${file}: ${err.message}: run the lock target to regenerate it`);
    throw err;
  }
}

/** The file's exact content: fixed key order, artifacts sorted by name, 2-space indent, final newline, no credentials. */
export function formatLockfile(lock: Lockfile): string {
  const ordered: Lockfile = {
    lockVersion: lock.artifacts.some((a) => a.path !== undefined) ? 2 : 1,
    requirements: lock.requirements.map(stripCredentials),
    pipOptions: lock.pipOptions.map(stripCredentials),
    requirementsHash: lock.requirementsHash,
    interpreter: {
      implementation: lock.interpreter.implementation,
      version: lock.interpreter.version,
      tag: lock.interpreter.tag,
      platform: lock.interpreter.platform,
    },
    interpreterConstraints: lock.interpreterConstraints,
    artifacts: [...lock.artifacts]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((a) => ({
        name: a.name,
        version: a.version,
        filename: a.filename,
        ...(a.path !== undefined ? { path: a.path } : { url: stripCredentials(a.url ?? '') }),
        sha256: a.sha256,
      })),
  };
  return JSON.stringify(ordered, null, 2) + '\n';
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
