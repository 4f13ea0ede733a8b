import { existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PexError, Reporter, sha256File, silentReporter, stripAnsi, stripCredentials } from '../common';
import { LockedArtifact, Lockfile, orderFiles, sortPackages } from '../lock';
import { credentialSources, pipDownload, pipProblemLine, pipResolveEnvironments, ReportItem } from '../pip';
import {
  environmentId,
  Interpreter,
  interpreterEnvironment,
  LOCK_MINORS,
  LockEnvironment,
  lockEnvironments,
  lockMinors,
  markerValues,
  pipTargetArgs,
  Platform,
  PLATFORMS,
} from '../python';
import { parseRequirement, Requirements, requirementsHash } from '../requirements';
import { canonicalName, parseSdistName, parseWheelName } from '../wheel';

/** Index options from nx.json or the target; relative find-links are relative to the workspace root. */
export interface IndexOptions {
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  noIndex?: boolean;
}

export interface ResolveOptions {
  interpreter: Interpreter;
  requirements: Requirements;
  interpreterConstraints?: string[];
  workspaceRoot: string;
  /** pip runs here: the requirements file's directory, so its relative --find-links work as in pip. */
  cwd: string;
  index?: IndexOptions;
  env?: NodeJS.ProcessEnv;
  /** Where the lock goes: local files are recorded relative to it. Default: cwd. */
  lockDir?: string;
  /** The platforms asked for (the platforms option); default all, and then an environment pip cannot satisfy is left out. */
  platforms?: Platform[];
  /** The pins to keep for an environment id (pip constraint lines), see keptPins. */
  pins?: (environment: string) => string[];
  report?: Reporter;
}

const MIN_PIP: [number, number] = [22, 2]; // the first pip with `install --report`

function assertPipCanResolve(interpreter: Interpreter): void {
  const where = `${interpreter.path} (Python ${interpreter.version.join('.')})`;
  if (interpreter.pip === null) {
    throw new PexError(
      'the interpreter has no pip',
      where,
      `run '${interpreter.path} -m ensurepip --upgrade', or choose another interpreter with the python option`,
    );
  }
  const [major, minor] = interpreter.pip.split('.').map((n) => parseInt(n, 10));
  if (major < MIN_PIP[0] || (major === MIN_PIP[0] && (minor || 0) < MIN_PIP[1])) {
    throw new PexError(
      `the interpreter has pip ${interpreter.pip}, but locking needs pip >= ${MIN_PIP.join('.')}`,
      where,
      `run '${interpreter.path} -m pip install --upgrade pip', or choose another interpreter with the python option`,
    );
  }
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The index options as the user wrote them are checked here, since pip only warns about most of them. */
function assertIndexOptions(index: IndexOptions, workspaceRoot: string): void {
  for (const [option, url] of [['indexUrl', index.indexUrl], ...(index.extraIndexUrls ?? []).map((u) => ['extraIndexUrls', u])]) {
    if (url !== undefined && !isUrl(url)) {
      throw new PexError(
        `'${stripCredentials(url)}' is not a URL`,
        String(option),
        'use https://<host>/simple, or file:///<dir> for a local index',
      );
    }
  }
  for (const link of index.findLinks ?? []) {
    if (!isUrl(link) && !existsSync(path.resolve(workspaceRoot, link))) {
      throw new PexError(`'${link}' does not exist (relative to the workspace root)`, 'findLinks', 'fix the path, or use a URL');
    }
  }
}

/** Only what was asked for: pip's own config and environment apply beneath these. */
export function indexArgs(index: IndexOptions, workspaceRoot: string): string[] {
  assertIndexOptions(index, workspaceRoot);
  return [
    ...(index.indexUrl ? ['--index-url', index.indexUrl] : []),
    ...(index.extraIndexUrls ?? []).flatMap((url) => ['--extra-index-url', url]),
    ...(index.findLinks ?? []).flatMap((link) => ['--find-links', isUrl(link) ? link : path.resolve(workspaceRoot, link)]),
    ...(index.noIndex ? ['--no-index'] : []),
  ];
}

/** The real path of `dir`, which may not exist yet (a new tool's lock): its nearest existing ancestor's, joined with the rest. */
function realDir(dir: string): string {
  const absolute = path.resolve(dir);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(realDir(parent), path.basename(absolute));
}

/** A local file relative to the lock's directory (PEP 751's `path`), so the lock works wherever the workspace is. */
export function lockRelativePath(file: string, lockDir: string): string {
  return path.relative(realDir(lockDir), realpathSync(file)).split(path.sep).join('/');
}

type UnhashedArtifact = { name: string; version: string; filename: string; url: string; sha256?: string };

function artifactOf(item: ReportItem): UnhashedArtifact {
  const name = canonicalName(item.metadata.name);
  const version = item.metadata.version;
  const info = item.download_info;
  const url = stripCredentials(info.url);
  const filename = decodeURIComponent(path.posix.basename(new URL(info.url).pathname));
  if (!info.archive_info || !(filename.endsWith('.whl') || parseSdistName(filename))) {
    throw new PexError(
      `${name} ${version} comes from ${url}, not from a wheel or an sdist file`,
      'requirements.txt',
      'lock a released version, or build a wheel into a --find-links directory',
    );
  }
  if (filename.endsWith('.whl')) parseWheelName(filename);
  const archive = info.archive_info;
  const sha256 = archive.hashes?.sha256 ?? /^sha256=([0-9a-f]{64})$/.exec(archive.hash ?? '')?.[1];
  return { name, version, filename, url, sha256 };
}

/** A failure that kept pins may cause (a conflict), as opposed to one they cannot (the network, a missing name). */
const PIN_CONFLICT =
  /ResolutionImpossible|conflicting dependencies|Could not find a version that satisfies the requirement (?!.*\(from versions: none\))/;
const pinConflict = (stderr: string) => PIN_CONFLICT.test(stripAnsi(stderr));

/** The package pip could not find for an environment, from its problem line. */
const missingPackage = (problem: string) =>
  /(?:Could not find a version that satisfies the requirement|No matching distribution found for) ([^\s;]+)/.exec(problem)?.[1] ?? null;

interface Failure {
  id: string;
  own: boolean;
  stderr: string;
}

/** One line for an environment pip could not resolve: the package, the environment and the fix. */
function environmentError(failure: Failure, interpreter: Interpreter, asked: string): PexError {
  const problem = pipProblemLine(failure.stderr);
  const name = missingPackage(problem);
  if (failure.own) {
    if (name && /\(from versions: none\)/.test(problem)) {
      return new PexError(
        `${name} has no wheel or sdist for ${failure.id} on the configured indexes (pip: ${problem})`,
        `${interpreter.path} (Python ${interpreter.version.join('.')})`,
        'check the name and the index options, or build a wheel into a --find-links directory',
      );
    }
    return new PexError(
      `pip could not resolve the requirements for ${failure.id}: ${problem}`,
      `${interpreter.path} (Python ${interpreter.version.join('.')})`,
      'fix requirements.txt or the index options',
    );
  }
  const what = name
    ? `${name} has no wheel for ${failure.id} (only an sdist, or no file at all; pip: ${problem})`
    : `pip could not resolve the requirements for ${failure.id}: ${problem}`;
  return new PexError(
    what,
    `the environments asked for (${asked})`,
    `narrow --platforms or --python, or provide a wheel${name ? ` of ${name}` : ''} for ${failure.id} (e.g. in a --find-links directory)`,
  );
}

/** `a, b, c and 4 more`: what a step line names. */
function someNames(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

interface Target {
  environment: LockEnvironment;
  id: string;
  own: boolean;
}

/**
 * `pip install --dry-run --report` for every environment at once: what pip would install, nothing
 * installed. Each environment's kept pins go in as constraints; where they conflict with the
 * requirements, the pins of the requirements themselves are dropped, then all of them (pip cannot
 * say which pin is in the way). Returns each environment's report, or its failure.
 */
async function pipReports(opts: ResolveOptions, targets: Target[]): Promise<Map<string, ReportItem[] | Failure>> {
  const { interpreter, requirements } = opts;
  const direct = new Set(requirements.requirements.map((r) => canonicalName(parseRequirement(r).name)));
  const pinsOf = (id: string, level: number) => {
    const pins = opts.pins?.(id) ?? [];
    return level === 0 ? pins : level === 1 ? pins.filter((p) => !direct.has(canonicalName(p.split('==')[0]))) : [];
  };
  const levels = new Map(targets.map((t) => [t.id, 0]));
  const results = new Map<string, ReportItem[] | Failure>();
  const what = targets.length === 1 ? targets[0].id : `${targets.length} environments`;
  const step = (opts.report ?? silentReporter).step(`resolving ${someNames([...direct])} for ${what} with pip…`);
  try {
    let pending = targets;
    let done = 0;
    while (pending.length) {
      const resolved = await pipResolveEnvironments({
        interpreter,
        // Wheels and sdists where pip chooses for this interpreter (`--only-binary=:all:` in requirements.txt forbids sdists).
        requirements: [...requirements.pipOptions, ...requirements.requirements],
        indexArgs: indexArgs(opts.index ?? {}, opts.workspaceRoot),
        envs: pending.map((t) => ({
          id: t.id,
          targetArgs: t.own ? [] : pipTargetArgs(t.environment),
          markers: t.own ? null : markerValues(t.environment),
          constraints: pinsOf(t.id, levels.get(t.id)!),
        })),
        cwd: opts.cwd,
        env: opts.env,
        onDone: (n) => step.update(`${done + n}/${targets.length} environments`),
      });
      const retry: Target[] = [];
      resolved.forEach((r, i) => {
        const target = pending[i];
        const level = levels.get(r.id)!;
        if (r.install) results.set(r.id, r.install);
        else if (level < 2 && pinsOf(r.id, level).length && pinConflict(r.stderr)) {
          levels.set(r.id, level + 1);
          retry.push(target);
        } else results.set(r.id, { id: r.id, own: target.own, stderr: r.stderr });
      });
      done += pending.length - retry.length;
      pending = retry;
    }
  } finally {
    step.done();
  }
  return results;
}

/** pip reports most hashes; the rest come from the local file, or from a download by pip (one per Python version). */
async function withHashes(found: Array<UnhashedArtifact & { python: string }>, opts: ResolveOptions): Promise<Map<string, LockedArtifact>> {
  const downloaded = new Map<string, { sha256: string; size: number }>();
  const unhashed = found.filter((a) => !a.sha256 && !a.url.startsWith('file:'));
  for (const python of [...new Set(unhashed.map((a) => a.python))]) {
    const items = unhashed.filter((a) => a.python === python);
    const index = opts.index ?? {};
    const given = [...opts.requirements.pipOptions, index.indexUrl ?? '', ...(index.extraIndexUrls ?? []), ...(index.findLinks ?? [])];
    await pipDownload({
      interpreter: opts.interpreter,
      pythonVersion: python,
      items,
      credentialSources: credentialSources(given, opts.env),
      cwd: opts.cwd,
      env: opts.env,
      keep: async (dir) => {
        for (const item of items) {
          const file = path.join(dir, item.filename);
          downloaded.set(item.filename, { sha256: await sha256File(file), size: statSync(file).size });
        }
      },
    });
  }
  const artifacts = new Map<string, LockedArtifact>();
  for (const a of found) {
    const local = a.url.startsWith('file:') ? fileURLToPath(a.url) : null;
    const sha256 = a.sha256 ?? (local ? await sha256File(local) : downloaded.get(a.filename)!.sha256);
    const where = local ? { path: lockRelativePath(local, opts.lockDir ?? opts.cwd) } : { url: a.url };
    const size = local ? statSync(local).size : downloaded.get(a.filename)?.size;
    artifacts.set(a.filename, {
      name: a.name,
      version: a.version,
      filename: a.filename,
      ...where,
      ...(size !== undefined ? { size } : {}),
      sha256,
    });
  }
  return artifacts;
}

/** The environments to lock: every platform asked for (default all) × the minors of the constraints or the interpreter. */
function environmentsToLock(opts: ResolveOptions): LockEnvironment[] {
  const minors = lockMinors(opts.interpreterConstraints ?? [], opts.interpreter);
  if (!minors.length) {
    throw new PexError(
      `the interpreter constraints ${(opts.interpreterConstraints ?? []).join(' or ')} allow no CPython from ` +
        `3.${LOCK_MINORS.oldest} to 3.${LOCK_MINORS.newest}`,
      'interpreterConstraints (pex:tool --python)',
      'allow at least one of them, e.g. >=3.9,<3.14',
    );
  }
  return lockEnvironments(opts.platforms ?? PLATFORMS, minors);
}

/**
 * Resolves with pip (`install --dry-run --report`) for every environment asked for and returns the
 * lock; nothing is written. pip's own configuration (PIP_* variables, pip.conf, netrc, keyring)
 * applies. The locking interpreter's own environment is resolved as pip would install it (sdists
 * allowed); the others with pip's target flags, wheels only. An environment pip cannot satisfy fails
 * the lock when it was asked for (platforms or interpreter constraints given); a default one is left
 * out with a warning, and recorded as not covered.
 */
export async function resolve(opts: ResolveOptions): Promise<Lockfile> {
  const { interpreter, requirements } = opts;
  if (requirements.requirements.length === 0) {
    throw new PexError('there are no requirements to lock', 'requirements.txt', 'add at least one line to it');
  }
  assertPipCanResolve(interpreter);
  const environments = environmentsToLock(opts);
  const own = interpreterEnvironment(interpreter);
  const ownId = own ? environmentId(own) : null;
  const targets = environments.map((environment) => {
    const id = environmentId(environment);
    return { environment, id, own: id === ownId };
  });
  const explicit = opts.platforms !== undefined || (opts.interpreterConstraints ?? []).length > 0;
  const each = (key: 'platform' | 'python') => [...new Set(environments.map((e) => e[key]))].join(',');
  const asked = `platforms ${each('platform')}, python ${each('python')}`;
  const reports = await pipReports(opts, targets);
  const failures = targets.map((t) => reports.get(t.id)!).filter((r): r is Failure => !Array.isArray(r));
  if (failures.length === targets.length || (explicit && failures.length)) {
    throw environmentError(failures.find((f) => f.own) ?? failures[0], interpreter, asked);
  }
  for (const failure of failures) {
    const problem = pipProblemLine(failure.stderr);
    const name = missingPackage(problem);
    opts.report?.info(
      `warning: left ${failure.id} out of the lock: ${name ? `${name} has no wheel for it` : problem}; ` +
        `name the platforms (--platforms) and Pythons (--python) to lock, or provide the wheel`,
    );
  }
  // Every environment's files, merged: one package per name and version, listing its environments.
  const found = new Map<string, UnhashedArtifact & { python: string }>();
  const packages = new Map<string, { name: string; version: string; environments: string[]; files: Set<string> }>();
  for (const target of targets) {
    const items = reports.get(target.id);
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const artifact = artifactOf(item);
      if (!found.has(artifact.filename)) found.set(artifact.filename, { ...artifact, python: target.environment.python });
      const key = `${artifact.name} ${artifact.version}`;
      const entry = packages.get(key) ?? { name: artifact.name, version: artifact.version, environments: [], files: new Set() };
      entry.environments.push(target.id);
      entry.files.add(artifact.filename);
      packages.set(key, entry);
    }
  }
  const artifacts = await withHashes([...found.values()], opts);
  return {
    requirements: requirements.requirements.map(stripCredentials),
    pipOptions: requirements.pipOptions.map(stripCredentials),
    requirementsHash: requirementsHash(requirements),
    interpreterConstraints: opts.interpreterConstraints ?? [],
    environments: targets.map((t) => ({ ...t.environment, covered: Array.isArray(reports.get(t.id)) })),
    packages: sortPackages(
      [...packages.values()].map((p) => ({
        name: p.name,
        version: p.version,
        environments: p.environments,
        files: orderFiles([...p.files].map((f) => artifacts.get(f)!)),
      })),
    ),
  };
}
