import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { sha256Mismatch } from '../common';
import { run } from '../common';
import { Interpreter } from '../python';
import { stripCredentials } from '../common';
import { parseWheelName } from '../wheel';

/** The line of pip's stderr that says what went wrong, without credentials. */
export function pipProblemLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('ERROR:') && !/for help visit|^ERROR: ResolutionImpossible|^ERROR: Exception:$/.test(l));
  // A failed build backend: pip quotes its output up to "[end of output]"; the last quoted line says why.
  const end = lines.lastIndexOf('[end of output]');
  const build = end > 0 ? `${/^error: ([\w-]+)$/m.exec(stderr)?.[1] ?? 'the build failed'}: ${lines[end - 1]}` : undefined;
  // Otherwise the first ERROR line; when pip itself crashed ("ERROR: Exception:"), the exception is the last line.
  const line = errors[0] ?? build ?? lines[lines.length - 1] ?? 'no output';
  return stripCredentials(line.replace(/^ERROR:\s*/, ''));
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

/** Stops with the fix when the interpreter that must run pip (for `purpose`) has none. */
export function requirePip(interpreter: Interpreter, purpose: string): void {
  if (interpreter.pip === null) {
    throw new PexError(
      `${interpreter.path} has no pip, which ${purpose} needs: run '${interpreter.path} -m ensurepip --upgrade', or set the python option to another interpreter`,
    );
  }
}

/** The pip flags that make it fetch wheels for the locked interpreter, whatever runs pip. */
function targetArgs(wheels: DownloadItem[], pythonVersion: string): string[] {
  const tags = wheels.flatMap((item) => parseWheelName(item.filename).tags.map((t) => t.split('-')));
  const abis = [...new Set(tags.map(([, abi]) => abi).filter((abi) => abi !== 'none' && abi !== 'abi3'))];
  const platforms = [...new Set(tags.map(([, , platform]) => platform).filter((p) => p !== 'any'))];
  return [
    ...['--only-binary=:all:', '--python-version', pythonVersion, '--implementation', 'cp'],
    ...abis.flatMap((abi) => ['--abi', abi]),
    ...platforms.flatMap((platform) => ['--platform', platform]),
  ];
}

/**
 * Downloads exact wheel and sdist URLs into `dest` with pip, so pip's network stack and
 * authentication apply. Wheels get target flags from their own tags and the locked Python
 * version, so any local interpreter with pip can fetch wheels locked for another one; sdists
 * (which pip only takes without target flags) go in a second call.
 */
export async function pipDownload(opts: {
  interpreter: Interpreter;
  pythonVersion: string;
  items: DownloadItem[];
  /** Where credentials may be found (see withCredentials); they only reach a temp file pip reads. */
  credentialSources: string[];
  dest: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}): Promise<void> {
  requirePip(opts.interpreter, `downloading ${opts.items.map((i) => i.filename).join(', ')}`);
  const wheels = opts.items.filter((item) => item.filename.endsWith('.whl'));
  const sdists = opts.items.filter((item) => !item.filename.endsWith('.whl'));
  if (wheels.length) await downloadGroup(wheels, targetArgs(wheels, opts.pythonVersion), opts);
  if (sdists.length) await downloadGroup(sdists, [], opts);
}

async function downloadGroup(items: DownloadItem[], target: string[], opts: Parameters<typeof pipDownload>[0]): Promise<void> {
  const temp = mkdtempSync(path.join(tmpdir(), 'pex-nx-download-'));
  try {
    const hashed = items.every((item) => item.sha256);
    const lines = items.map((item) => {
      const url = withCredentials(item.url, opts.credentialSources);
      return `${item.name} @ ${url}${item.sha256 ? ` --hash=sha256:${item.sha256}` : ''}`;
    });
    const requirementsFile = path.join(temp, 'requirements.txt');
    writeFileSync(requirementsFile, lines.join('\n') + '\n', { mode: 0o600 });
    const args = ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--quiet'];
    args.push(...target, ...(hashed ? ['--require-hashes'] : []), '-d', opts.dest, '-r', requirementsFile);
    const result = await run(opts.interpreter.path, args, { cwd: opts.cwd, env: opts.env });
    if (result.code !== 0) {
      const mismatch = /Expected sha256 ([0-9a-f]{64})\s+Got\s+([0-9a-f]{64})/.exec(result.stderr);
      if (mismatch) {
        const item = items.find((i) => i.sha256 === mismatch[1]);
        throw sha256Mismatch(item?.url ?? 'a downloaded file', mismatch[1], mismatch[2], 'the server changed or corrupted the file; if the change is intended, re-run the lock target');
      }
      const problem = pipProblemLine(result.stderr);
      throw new PexError(`pip could not download ${items.map((i) => i.filename).join(', ')}: ${problem}; check the network and the index credentials (netrc, keyring, PIP_INDEX_URL), or re-run the lock target`);
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
