import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError, run, RunResult, sha256Mismatch, Step, stripAnsi, stripCredentials } from '../common';
import { Interpreter } from '../python';
import { canonicalName, parseWheelName } from '../wheel';

/*
 * With resolveEnvironments.ts, the one module that starts pip: it writes pip's temp requirements
 * (and constraints) file, sets the flags and environment every pip call shares, and turns pip's
 * stderr into one line.
 */

/** The line of pip's stderr that says what went wrong, without credentials or terminal escapes. */
export function pipProblemLine(stderr: string): string {
  const lines = stripAnsi(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter(
    (l) => l.startsWith('ERROR:') && !/for help visit|^ERROR: ResolutionImpossible|^ERROR: Exception:$/.test(l) && l !== 'ERROR:',
  );
  // A failed build backend: pip quotes its output up to "[end of output]"; the last quoted line says why.
  const end = lines.lastIndexOf('[end of output]');
  const build = end > 0 ? `${/^error: ([\w-]+)$/m.exec(stripAnsi(stderr))?.[1] ?? 'the build failed'}: ${lines[end - 1]}` : undefined;
  // Otherwise the first ERROR line; when pip itself crashed ("ERROR: Exception:"), the exception is the last line.
  const line = errors[0] ?? build ?? lines[lines.length - 1] ?? 'no output';
  return stripCredentials(line.replace(/^ERROR:\s*/, ''));
}

/** Stops with the fix when the interpreter that must run pip (for `purpose`) has none. */
export function requirePip(interpreter: Interpreter, purpose: string): void {
  if (interpreter.pip === null) {
    throw new PexError(
      `this interpreter has no pip, which ${purpose} needs`,
      interpreter.path,
      `run '${interpreter.path} -m ensurepip --upgrade', or set the python option to another interpreter`,
    );
  }
}

export interface PipCall {
  interpreter: Interpreter;
  /** pip's command and its own flags, given the call's private temp dir (for a report or downloads). */
  args: (temp: string) => string[];
  /** Lines of the temp requirements file (`-r`): options go there too, so pip applies them (and expands ${VARS}) as in a user's file. */
  requirements: string[];
  /** Lines of a temp constraints file (`-c`), when given. */
  constraints?: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Where the temp dir goes (the wheel cache's tmp/, so results rename atomically); default the OS temp dir. */
  tempRoot?: string;
  /** pip's stdout lines as they come; without it pip runs --quiet. */
  onLine?: (line: string) => void;
}

/** The flags every pip process gets; without `quiet` pip prints its progress lines. */
export function pipCommonFlags(quiet: boolean): string[] {
  return ['--disable-pip-version-check', '--no-input', '--no-color', '--progress-bar', 'off', ...(quiet ? ['--quiet'] : [])];
}

/** The environment every pip process gets. */
export function pipProcessEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  // Nothing here installs into the interpreter's environment, so a "require a virtualenv" setting has nothing to protect.
  return { ...(env ?? process.env), PIP_REQUIRE_VIRTUALENV: '0' };
}

/** Writes a file only the user reads: requirements may hold credentials pip needs for a download by URL. */
export function writePrivate(file: string, lines: string[]): void {
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
}

/** pip's `-r` (and `-c`) arguments for the requirements (and constraints) written into `dir`. */
export function pipFileArgs(dir: string, requirements: string[], constraints?: string[]): string[] {
  const requirementsFile = path.join(dir, 'requirements.txt');
  writePrivate(requirementsFile, requirements);
  const files = ['-r', requirementsFile];
  if (constraints?.length) {
    const constraintsFile = path.join(dir, 'constraints.txt');
    writePrivate(constraintsFile, constraints);
    files.push('-c', constraintsFile);
  }
  return files;
}

/** Gives `use` a private temp dir under `tempRoot` (default the OS temp dir) and removes it afterwards. */
export async function withPipTemp<T>(tempRoot: string | undefined, use: (temp: string) => Promise<T>): Promise<T> {
  const root = tempRoot ?? tmpdir();
  mkdirSync(root, { recursive: true });
  const temp = mkdtempSync(path.join(root, 'pip-'));
  try {
    return await use(temp);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Runs pip; `after` reads the results from the temp dir before it is removed. */
export async function runPip<T>(call: PipCall, after: (result: RunResult, temp: string) => Promise<T> | T): Promise<T> {
  return withPipTemp(call.tempRoot, async (temp) => {
    const files = pipFileArgs(temp, call.requirements, call.constraints);
    const args = ['-m', 'pip', ...call.args(temp), ...pipCommonFlags(!call.onLine), ...files];
    const result = await run(call.interpreter.path, args, { cwd: call.cwd, env: pipProcessEnv(call.env), onLine: call.onLine });
    return await after(result, temp);
  });
}

export interface DownloadItem {
  name: string;
  filename: string;
  /** http(s), without credentials. */
  url: string;
  /** When given, pip verifies it (--require-hashes). */
  sha256?: string;
}

const URL_WITH_USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/([^/\s?#]+)@([^/\s?#]+)/gi;

/**
 * Gives a download URL the credentials that one of `sources` (index or find-links URLs, as
 * the user wrote them) holds for the same host. pip would otherwise learn them only from an
 * index page, which a download by exact URL never fetches; netrc and keyring still apply.
 */
export function withCredentials(url: string, sources: string[]): string {
  const target = new URL(url);
  for (const source of sources) {
    for (const [, userinfo, host] of source.matchAll(URL_WITH_USERINFO)) {
      if (host.toLowerCase() === target.host.toLowerCase()) {
        return `${target.protocol}//${userinfo}@${url.slice(target.protocol.length + 2)}`;
      }
    }
  }
  return url;
}

/** The URLs the user configured, with any credentials: the given option values plus pip's URL variables. */
export function credentialSources(given: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return [...given, env.PIP_INDEX_URL, env.PIP_EXTRA_INDEX_URL, env.PIP_FIND_LINKS].filter((s): s is string => !!s);
}

/** The pip flags that make it pick wheels for the locked interpreter, whatever runs pip. */
export function targetArgs(filenames: string[], pythonVersion: string): string[] {
  const tags = filenames.filter((f) => f.endsWith('.whl')).flatMap((f) => parseWheelName(f).tags.map((t) => t.split('-')));
  const abis = [...new Set(tags.map(([, abi]) => abi).filter((abi) => abi !== 'none' && abi !== 'abi3'))];
  const platforms = [...new Set(tags.map(([, , platform]) => platform).filter((p) => p !== 'any'))];
  return [
    ...['--only-binary=:all:', '--python-version', pythonVersion, '--implementation', 'cp'],
    ...abis.flatMap((abi) => ['--abi', abi]),
    ...platforms.flatMap((platform) => ['--platform', platform]),
  ];
}

export interface DownloadOptions {
  interpreter: Interpreter;
  pythonVersion: string;
  items: DownloadItem[];
  /** Where credentials may be found (see withCredentials); they only reach a temp file pip reads. */
  credentialSources: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  tempRoot?: string;
  /** Gets the downloaded files' dir before it is removed. */
  keep: (dir: string) => Promise<void>;
  step?: Step;
}

/**
 * Downloads exact wheel and sdist URLs with pip, so pip's network stack and authentication
 * apply. Wheels get target flags from their own tags and the locked Python version, so any
 * local interpreter with pip can fetch wheels locked for another one; sdists (which pip only
 * takes without target flags) go in a second call.
 */
export async function pipDownload(opts: DownloadOptions): Promise<void> {
  requirePip(opts.interpreter, `downloading ${opts.items.map((i) => i.filename).join(', ')}`);
  const wheels = opts.items.filter((item) => item.filename.endsWith('.whl'));
  const sdists = opts.items.filter((item) => !item.filename.endsWith('.whl'));
  let saved = 0;
  const onLine = (line: string) => {
    if (/^\s*(Saved|File was already downloaded) /.test(line)) opts.step?.update(`${++saved}/${opts.items.length}`);
  };
  for (const [group, target] of [
    [
      wheels,
      targetArgs(
        wheels.map((w) => w.filename),
        opts.pythonVersion,
      ),
    ],
    [sdists, []],
  ] as const) {
    if (!group.length) continue;
    const hashed = group.every((item) => item.sha256);
    const lines = group.map(
      (item) => `${item.name} @ ${withCredentials(item.url, opts.credentialSources)}${item.sha256 ? ` --hash=sha256:${item.sha256}` : ''}`,
    );
    await runPip(
      {
        interpreter: opts.interpreter,
        args: (temp) => ['download', '--no-deps', ...target, ...(hashed ? ['--require-hashes'] : []), '-d', path.join(temp, 'out')],
        requirements: lines,
        cwd: opts.cwd,
        env: opts.env,
        tempRoot: opts.tempRoot,
        onLine,
      },
      async (result, temp) => {
        if (result.code !== 0) throw downloadError(result.stderr, group);
        await opts.keep(path.join(temp, 'out'));
      },
    );
  }
}

function downloadError(stderr: string, items: DownloadItem[]): PexError {
  const mismatch = /Expected sha256 ([0-9a-f]{64})\s+Got\s+([0-9a-f]{64})/.exec(stripAnsi(stderr));
  if (mismatch) {
    const item = items.find((i) => i.sha256 === mismatch[1]);
    return sha256Mismatch(
      item?.url ?? 'a downloaded file',
      mismatch[1],
      mismatch[2],
      'the server changed or corrupted the file; if the change is intended, re-run the lock target',
    );
  }
  return new PexError(
    `pip could not download the locked files (${pipProblemLine(stderr)})`,
    items.map((i) => i.filename).join(', '),
    'check the network and the index credentials (netrc, keyring, PIP_INDEX_URL), or re-run the lock target',
  );
}

/** What pip's `install --report` says about one distribution it would install. */
export interface ReportItem {
  metadata: { name: string; version: string };
  download_info: {
    url: string;
    archive_info?: { hash?: string; hashes?: Record<string, string> };
    dir_info?: unknown;
    vcs_info?: unknown;
  };
}

export interface LocateOptions {
  interpreter: Interpreter;
  pythonVersion: string;
  items: Array<{ name: string; version: string; filename: string; sha256: string }>;
  /** Requirements-file options (index and find-links) that apply before pip's own config. */
  pipOptions: string[];
  /** pip flags from nx.json's or the target's index options. */
  indexArgs: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Where the configured indexes and find-links (the given options, then pip's own config)
 * offer the files with these sha256s: pip only considers candidates whose hash matches, so
 * this finds locked files that moved. Returns filename → URL for the files found. One pip call
 * for the wheels and one for the sdists; when one fails, each of its files is asked for alone.
 */
export async function pipLocate(opts: LocateOptions): Promise<Map<string, string>> {
  requirePip(opts.interpreter, `finding ${opts.items.map((i) => i.filename).join(', ')}`);
  const found = new Map<string, string>();
  const wheels = opts.items.filter((i) => i.filename.endsWith('.whl'));
  for (const group of [wheels, opts.items.filter((i) => !wheels.includes(i))]) {
    if (!group.length) continue;
    const urls = await locateGroup(group, opts);
    const each = urls ? [urls] : [];
    if (!urls && group.length > 1) for (const item of group) each.push((await locateGroup([item], opts)) ?? new Map());
    for (const map of each) map.forEach((url, filename) => found.set(filename, url));
  }
  return found;
}

async function locateGroup(items: LocateOptions['items'], opts: LocateOptions): Promise<Map<string, string> | null> {
  const wheel = items[0].filename.endsWith('.whl');
  return runPip(
    {
      interpreter: opts.interpreter,
      // pip takes target flags only with --target, even for a dry run; nothing is written there.
      args: (temp) => [
        ...['install', '--dry-run', '--ignore-installed', '--no-deps', '--report', path.join(temp, 'report.json'), ...opts.indexArgs],
        ...(wheel
          ? [
              ...targetArgs(
                items.map((i) => i.filename),
                opts.pythonVersion,
              ),
              '--target',
              path.join(temp, 'target'),
            ]
          : []),
      ],
      requirements: [...opts.pipOptions, ...items.map((item) => `${item.name}==${item.version} --hash=sha256:${item.sha256}`)],
      cwd: opts.cwd,
      env: opts.env,
    },
    (result, temp) => {
      if (result.code !== 0) return null;
      const report = JSON.parse(readFileSync(path.join(temp, 'report.json'), 'utf8')) as { install: ReportItem[] };
      const byName = new Map(items.map((i) => [canonicalName(i.name), i.filename]));
      return new Map(report.install.map((r) => [byName.get(canonicalName(r.metadata.name)) ?? '', r.download_info.url]));
    },
  );
}
