import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PexError, Reporter, sha256File, silentReporter, stripAnsi, stripCredentials } from '../common';
import { LockedArtifact, Lockfile } from '../lock';
import { credentialSources, pipDownload, pipProblemLine, ReportItem, runPip } from '../pip';
import { Interpreter } from '../python';
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
  /** Pins to keep (pip constraint lines), see keptPins. */
  pins?: string[];
  report?: Reporter;
}

const MIN_PIP: [number, number] = [22, 2]; // the first pip with `install --report`

function assertPipCanResolve(interpreter: Interpreter): void {
  const where = `${interpreter.path} (Python ${interpreter.version.join('.')})`;
  if (interpreter.pip === null) {
    throw new PexError(
      `${where} has no pip: run '${interpreter.path} -m ensurepip --upgrade', or choose another interpreter with the python option`,
    );
  }
  const [major, minor] = interpreter.pip.split('.').map((n) => parseInt(n, 10));
  if (major < MIN_PIP[0] || (major === MIN_PIP[0] && (minor || 0) < MIN_PIP[1])) {
    throw new PexError(
      `${where} has pip ${interpreter.pip}, but locking needs pip >= ${MIN_PIP.join('.')}: run '${interpreter.path} -m ` +
        `pip install --upgrade pip', or choose another interpreter with the python option`,
    );
  }
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The index options as the user wrote them are checked here, since pip only warns about most of them. */
function assertIndexOptions(index: IndexOptions, workspaceRoot: string): void {
  for (const [option, url] of [['indexUrl', index.indexUrl], ...(index.extraIndexUrls ?? []).map((u) => ['extraIndexUrls', u])]) {
    if (url !== undefined && !isUrl(url)) {
      throw new PexError(
        `${option} '${stripCredentials(url)}' is not a URL: use https://<host>/simple, or file:///<dir> for a local index`,
      );
    }
  }
  for (const link of index.findLinks ?? []) {
    if (!isUrl(link) && !existsSync(path.resolve(workspaceRoot, link))) {
      throw new PexError(`findLinks '${link}' does not exist (relative to the workspace root): fix the path, or use a URL`);
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
      `${name} ${version} comes from ${url}, not from a wheel or an sdist file: lock a released version, or build a ` +
        `wheel into a --find-links directory`,
    );
  }
  if (filename.endsWith('.whl')) parseWheelName(filename);
  const archive = info.archive_info;
  const sha256 = archive.hashes?.sha256 ?? /^sha256=([0-9a-f]{64})$/.exec(archive.hash ?? '')?.[1];
  return { name, version, filename, url, sha256 };
}

function resolutionError(stderr: string, interpreter: Interpreter): PexError {
  const problem = pipProblemLine(stderr);
  const missing = /Could not find a version that satisfies the requirement (\S+) \(from versions: none\)/.exec(problem);
  if (missing) {
    return new PexError(
      `${missing[1]} has no wheel or sdist for ${interpreter.tag} on the configured indexes (pip: ${problem}): check ` +
        `the name and the index options, or build a wheel into a --find-links directory`,
    );
  }
  return new PexError(
    `pip could not resolve the requirements for ${interpreter.path} (Python ${interpreter.version.join('.')}): ` +
      `${problem}; fix requirements.txt or the index options`,
  );
}

/** A failure that kept pins may cause (a conflict), as opposed to one they cannot (the network, a missing name). */
const PIN_CONFLICT =
  /ResolutionImpossible|conflicting dependencies|Could not find a version that satisfies the requirement (?!.*\(from versions: none\))/;
const pinConflict = (stderr: string) => PIN_CONFLICT.test(stripAnsi(stderr));

/** `a, b, c and 4 more`: what a step line names. */
function someNames(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * `pip install --dry-run --report`: what pip would install, nothing installed. Kept pins go in
 * as constraints; when they conflict with the requirements, the pins of the requirements
 * themselves are dropped, then all of them (pip cannot say which pin is in the way).
 */
async function pipReport(opts: ResolveOptions): Promise<ReportItem[]> {
  const { interpreter, requirements } = opts;
  const direct = new Set(requirements.requirements.map((r) => canonicalName(parseRequirement(r).name)));
  const pins = opts.pins ?? [];
  const attempts = pins.length ? [pins, pins.filter((p) => !direct.has(canonicalName(p.split('==')[0]))), []] : [[]];
  const step = (opts.report ?? silentReporter).step(`resolving ${someNames([...direct])} for ${interpreter.tag} with pip…`);
  const attempt = async (i: number): Promise<ReportItem[]> => {
    let collected = 0;
    const found = await runPip(
      {
        interpreter,
        // Wheels and sdists, as pip chooses by default (`--only-binary=:all:` in requirements.txt forbids sdists).
        args: (temp) => [
          'install',
          '--dry-run',
          '--ignore-installed',
          '--report',
          path.join(temp, 'report.json'),
          ...indexArgs(opts.index ?? {}, opts.workspaceRoot),
        ],
        requirements: [...requirements.pipOptions, ...requirements.requirements],
        constraints: attempts[i],
        cwd: opts.cwd,
        env: opts.env,
        onLine: (line) => {
          if (line.startsWith('Collecting ')) step.update(`${++collected} distributions`);
        },
      },
      (result, temp) => {
        if (result.code === 0)
          return (JSON.parse(readFileSync(path.join(temp, 'report.json'), 'utf8')) as { install: ReportItem[] }).install;
        if (i < attempts.length - 1 && pinConflict(result.stderr)) return null;
        throw resolutionError(result.stderr, interpreter);
      },
    );
    return found ?? attempt(i + 1);
  };
  try {
    return await attempt(0);
  } finally {
    step.done();
  }
}

/** pip reports most hashes; the rest come from the local file, or from a download by pip. */
async function withHashes(found: UnhashedArtifact[], opts: ResolveOptions): Promise<LockedArtifact[]> {
  const downloaded = new Map<string, { sha256: string; size: number }>();
  const items = found.filter((a) => !a.sha256 && !a.url.startsWith('file:'));
  if (items.length) {
    const index = opts.index ?? {};
    const given = [...opts.requirements.pipOptions, index.indexUrl ?? '', ...(index.extraIndexUrls ?? []), ...(index.findLinks ?? [])];
    await pipDownload({
      interpreter: opts.interpreter,
      pythonVersion: opts.interpreter.version.slice(0, 2).join('.'),
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
  const artifacts: LockedArtifact[] = [];
  for (const a of found) {
    const local = a.url.startsWith('file:') ? fileURLToPath(a.url) : null;
    const sha256 = a.sha256 ?? (local ? await sha256File(local) : downloaded.get(a.filename)!.sha256);
    const where = local ? { path: lockRelativePath(local, opts.lockDir ?? opts.cwd) } : { url: a.url };
    const size = local ? statSync(local).size : downloaded.get(a.filename)?.size;
    artifacts.push({ name: a.name, version: a.version, filename: a.filename, ...where, ...(size !== undefined ? { size } : {}), sha256 });
  }
  return artifacts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Resolves with pip (`install --dry-run --report`) for one interpreter and returns the lock;
 * nothing is written. pip's own configuration (PIP_* variables, pip.conf, netrc, keyring) applies.
 */
export async function resolve(opts: ResolveOptions): Promise<Lockfile> {
  const { interpreter, requirements } = opts;
  if (requirements.requirements.length === 0) {
    throw new PexError('there are no requirements to lock: add at least one line to requirements.txt');
  }
  assertPipCanResolve(interpreter);
  const found = (await pipReport(opts)).map(artifactOf);
  const artifacts = await withHashes(found, opts);
  return {
    requirements: requirements.requirements.map(stripCredentials),
    pipOptions: requirements.pipOptions.map(stripCredentials),
    requirementsHash: requirementsHash(requirements),
    interpreter: {
      implementation: interpreter.implementation,
      version: interpreter.version.slice(0, 2).join('.'),
      tag: interpreter.tag,
      // As a wheel platform tag (linux_x86_64), the form PEX-INFO's build_properties use.
      platform: interpreter.platform.replace(/[-.]/g, '_'),
    },
    interpreterConstraints: opts.interpreterConstraints ?? [],
    artifacts,
  };
}
