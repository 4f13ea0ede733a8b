import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PexError } from '../common';
import { requirementsHash } from '../requirements';
import { checkConstraints, checkFilename, field, isObject, isString, isStringList, Malformed, RELATIVE_PATH, SHA256 } from './fields';
import { environmentId } from '../python';
import { LockedArtifact, Lockfile, singleEnvironment, sortPackages } from './lockfile';

/*
 * `pex.lock.json`, the lock of earlier versions of the plugin (lockVersion 1 and 2). It is still
 * read, so a workspace made by them keeps building; the next lock, `nx sync` or the
 * `pylock-toml` migration converts it to pylock.toml.
 */
// What the JSON lock wrote: http(s)://…, file:///abs/path or file:<workspace-relative path>; no whitespace.
const URL_FORM = /^(https?:\/\/[^\s/]+\/|file:)[^\s]+$/i;

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
  checkConstraints(interpreterConstraints, 'interpreterConstraints');
  const environment = singleEnvironment(interpreter, 'interpreter');
  const id = environmentId(environment);
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
    checkFilename(artifact, at, 'filename');
    return artifact;
  });
  const packages = sortPackages(artifacts.map((a) => ({ name: a.name, version: a.version, environments: [id], files: [a] })));
  return { requirements, pipOptions, requirementsHash: hash, interpreterConstraints, environments: [environment], packages };
}

function lineOf(text: string, err: unknown): number | null {
  const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
  return position === undefined ? null : text.slice(0, Number(position)).split('\n').length;
}

/** A pex.lock.json's text → the lock; throws one-line PexErrors naming `where`. */
export function parseLegacyJsonLock(text: string, where: string): Lockfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const line = lineOf(text, err);
    throw new PexError('not valid JSON', `${where}${line ? `:${line}` : ''}`, 'fix it, or run the lock target to regenerate it');
  }
  try {
    return validate(data);
  } catch (err) {
    if (err instanceof Malformed) throw new PexError(err.message, where, 'run the lock target to regenerate it');
    throw err;
  }
}

/**
 * A lock read from a version 1 JSON lock records local files as `file:` URLs; pylock.toml records
 * them by a path relative to the lock. Local files that exist also get their size.
 */
export function toLockRelative(lock: Lockfile, workspaceRoot: string, lockDir: string): Lockfile {
  const relative = (a: LockedArtifact): LockedArtifact => {
    const local =
      a.path !== undefined
        ? path.resolve(lockDir, a.path)
        : a.url!.startsWith('file://')
          ? fileURLToPath(a.url!)
          : a.url!.startsWith('file:')
            ? path.resolve(workspaceRoot, a.url!.slice('file:'.length))
            : null;
    if (!local) return a;
    const rest: LockedArtifact = { ...a };
    delete rest.url;
    const size = existsSync(local) && statSync(local).isFile() ? { size: statSync(local).size } : {};
    return { ...rest, path: path.relative(lockDir, local).split(path.sep).join('/'), ...size };
  };
  return { ...lock, packages: lock.packages.map((p) => ({ ...p, files: p.files.map(relative) })) };
}
