import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PexError } from '../common';
import { run } from '../common';
import { sha256File } from '../common';
import { LockedArtifact, Lockfile } from '../lock';
import { credentialSources, pipDownload, pipProblemLine } from '../pip';
import { Interpreter } from '../python';
import { Requirements, requirementsHash } from '../requirements';
import { stripCredentials } from '../common';
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
}

const MIN_PIP: [number, number] = [22, 2]; // the first pip with `install --report`

function assertPipCanResolve(interpreter: Interpreter): void {
  const where = `${interpreter.path} (Python ${interpreter.version.join('.')})`;
  if (interpreter.pip === null) {
    throw new PexError(`${where} has no pip: run '${interpreter.path} -m ensurepip --upgrade', or choose another interpreter with the python option`);
  }
  const [major, minor] = interpreter.pip.split('.').map((n) => parseInt(n, 10));
  if (major < MIN_PIP[0] || (major === MIN_PIP[0] && (minor || 0) < MIN_PIP[1])) {
    throw new PexError(
      `${where} has pip ${interpreter.pip}, but locking needs pip >= ${MIN_PIP.join('.')}: run '${interpreter.path} -m pip install --upgrade pip', or choose another interpreter with the python option`,
    );
  }
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The index options as the user wrote them are checked here, since pip only warns about most of them. */
function assertIndexOptions(index: IndexOptions, workspaceRoot: string): void {
  for (const [option, url] of [['indexUrl', index.indexUrl], ...(index.extraIndexUrls ?? []).map((u) => ['extraIndexUrls', u])]) {
    if (url !== undefined && !isUrl(url)) {
      throw new PexError(`${option} '${stripCredentials(url)}' is not a URL: use https://<host>/simple, or file:///<dir> for a local index`);
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

/** `file:<workspace-relative path>` inside the workspace, so locks do not depend on where it is checked out. */
function recordedUrl(url: string, workspaceRoot: string): string {
  if (!url.startsWith('file:')) return stripCredentials(url);
  const file = realpathSync(fileURLToPath(url));
  const relative = path.relative(realpathSync(workspaceRoot), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? url : `file:${relative.split(path.sep).join('/')}`;
}

interface ReportItem {
  metadata: { name: string; version: string };
  download_info: {
    url: string;
    archive_info?: { hash?: string; hashes?: Record<string, string> };
    dir_info?: unknown;
    vcs_info?: unknown;
  };
}

type UnhashedArtifact = Omit<LockedArtifact, 'sha256'> & { sha256?: string };

function artifactOf(item: ReportItem, interpreter: Interpreter): UnhashedArtifact {
  const name = canonicalName(item.metadata.name);
  const version = item.metadata.version;
  const info = item.download_info;
  const url = stripCredentials(info.url);
  const filename = decodeURIComponent(path.posix.basename(new URL(info.url).pathname));
  if (!info.archive_info || !(filename.endsWith('.whl') || parseSdistName(filename))) {
    throw new PexError(
      `${name} ${version} comes from ${url}, not from a wheel or an sdist file: lock a released version, or build a wheel into a --find-links directory`,
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
      `${missing[1]} has no wheel or sdist for ${interpreter.tag} on the configured indexes (pip: ${problem}): check the name and the index options, or build a wheel into a --find-links directory`,
    );
  }
  return new PexError(`pip could not resolve the requirements for ${interpreter.path} (Python ${interpreter.version.join('.')}): ${problem}; fix requirements.txt or the index options`);
}

/** `pip install --dry-run --report` in `temp`: what pip would install, nothing installed. */
async function pipReport(opts: ResolveOptions, temp: string): Promise<ReportItem[]> {
  const { interpreter, requirements } = opts;
  // Options go into the file so pip applies them (and expands ${VARS}) exactly as in the user's requirements.txt.
  const requirementsFile = path.join(temp, 'requirements.txt');
  writeFileSync(requirementsFile, [...requirements.pipOptions, ...requirements.requirements].join('\n') + '\n', { mode: 0o600 });
  const report = path.join(temp, 'report.json');
  const args = ['-m', 'pip', 'install', '--dry-run', '--ignore-installed', '--report', report, '--quiet'];
  // Wheels and sdists, as pip chooses by default (`--only-binary=:all:` in requirements.txt forbids sdists).
  args.push('--disable-pip-version-check', ...indexArgs(opts.index ?? {}, opts.workspaceRoot));
  args.push('-r', requirementsFile);
  // A dry run installs nothing, so a user's "require a virtualenv" setting has nothing to protect.
  const env = { ...(opts.env ?? process.env), PIP_REQUIRE_VIRTUALENV: '0' };
  const result = await run(interpreter.path, args, { cwd: opts.cwd, env });
  if (result.code !== 0) throw resolutionError(result.stderr, interpreter);
  return (JSON.parse(readFileSync(report, 'utf8')) as { install: ReportItem[] }).install;
}

/** pip reports most hashes; the rest come from the local file, or from a download by pip. */
async function withHashes(found: UnhashedArtifact[], opts: ResolveOptions, temp: string): Promise<LockedArtifact[]> {
  const downloads = path.join(temp, 'downloads');
  const items = found.filter((a) => !a.sha256 && !a.url.startsWith('file:'));
  if (items.length) {
    const index = opts.index ?? {};
    const given = [...opts.requirements.pipOptions, index.indexUrl ?? '', ...(index.extraIndexUrls ?? []), ...(index.findLinks ?? [])];
    await pipDownload({
      interpreter: opts.interpreter,
      pythonVersion: opts.interpreter.version.slice(0, 2).join('.'),
      items,
      credentialSources: credentialSources(given, opts.env),
      dest: downloads,
      cwd: opts.cwd,
      env: opts.env,
    });
  }
  const artifacts: LockedArtifact[] = [];
  for (const a of found) {
    const local = a.url.startsWith('file:') ? fileURLToPath(a.url) : path.join(downloads, a.filename);
    artifacts.push({ ...a, url: recordedUrl(a.url, opts.workspaceRoot), sha256: a.sha256 ?? (await sha256File(local)) });
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
  const temp = mkdtempSync(path.join(tmpdir(), 'pex-nx-resolve-'));
  try {
    const found = (await pipReport(opts, temp)).map((item) => artifactOf(item, interpreter));
    return {
      lockVersion: 1,
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
      artifacts: await withHashes(found, opts, temp),
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
