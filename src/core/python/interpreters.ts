import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { candidateNames, satisfies, Version } from './constraints';
import { PexError } from '../common';
import { run } from '../common';

export interface Interpreter {
  /** sys.executable, so later calls reach the same binary (not a shim that may switch versions). */
  path: string;
  version: Version;
  implementation: string;
  /** e.g. cp311 */
  tag: string;
  /** sysconfig.get_platform(), e.g. linux-x86_64 */
  platform: string;
  /** pip's version, or null when `python -m pip` is unavailable. */
  pip: string | null;
}

// Python 2 compatible, so an old `python` is reported by version instead of a syntax error.
const PROBE = `
import json, sys, sysconfig, platform
try:
    import pip
    pip_version = pip.__version__
except Exception:
    pip_version = None
sys.stdout.write(json.dumps({
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "implementation": platform.python_implementation().lower(),
    "platform": sysconfig.get_platform(),
    "pip": pip_version,
}))
`;

const probes = new Map<string, Promise<Interpreter>>();

const TAG_PREFIX: Record<string, string> = { cpython: 'cp', pypy: 'pp' };

async function probe(file: string): Promise<Interpreter> {
  const result = await run(file, ['-c', PROBE]);
  const lastLine = result.stderr.trim().split('\n').pop();
  if (result.code !== 0) {
    throw new PexError(`not a working Python (exit ${result.code}${lastLine ? `: ${lastLine}` : ''})`, file, 'pass another interpreter');
  }
  let info: { executable?: unknown; version?: unknown; implementation?: unknown; platform?: unknown; pip?: unknown };
  try {
    info = JSON.parse(result.stdout);
  } catch {
    throw new PexError("not a Python interpreter (its output is not the probe's)", file, 'pass another interpreter');
  }
  const version = info.version as Version;
  const implementation = String(info.implementation);
  return {
    path: typeof info.executable === 'string' && info.executable ? info.executable : file,
    version,
    implementation,
    tag: `${TAG_PREFIX[implementation] ?? implementation}${version[0]}${version[1]}`,
    platform: String(info.platform),
    pip: typeof info.pip === 'string' ? info.pip : null,
  };
}

/** Runs one `python -c` probe; repeated calls for the same path share it. */
export function inspectInterpreter(file: string): Promise<Interpreter> {
  const key = path.resolve(file);
  let cached = probes.get(key);
  if (!cached) {
    cached = probe(key);
    probes.set(key, cached);
  }
  return cached;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A name is looked up on PATH like a shell does; anything with a slash is a path. */
function locate(nameOrPath: string, env: NodeJS.ProcessEnv): string | null {
  if (nameOrPath.includes('/')) return isExecutableFile(nameOrPath) ? path.resolve(nameOrPath) : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', nameOrPath);
    if (isExecutableFile(file)) return path.resolve(file);
  }
  return null;
}

/**
 * pyenv's root when its shims are on PATH: the parent of a `shims` dir with a `versions`
 * sibling (as the archives' runtime finds it; running `pyenv root` would cost a shim's start).
 */
export function pyenvRoot(env: NodeJS.ProcessEnv): string | null {
  const roots = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => path.basename(d) === 'shims')
    .map((d) => path.dirname(d));
  return roots.find((root) => existsSync(path.join(root, 'versions'))) ?? null;
}

/**
 * `<pyenv root>/versions/3.X.*\/bin/python3.X`, newest first: the installed versions that are
 * not active, whose shims on PATH fail when run (`pyenv: python3.12: command not found`).
 */
export function pyenvInterpreters(name: string, env: NodeJS.ProcessEnv): string[] {
  const minor = /^python(3\.\d+)$/.exec(name)?.[1];
  const root = pyenvRoot(env);
  if (!minor || !root) return [];
  const patch = (v: string) => Number(v.split('.')[2]);
  return readdirSync(path.join(root, 'versions'))
    .filter((v) => new RegExp(`^${minor.replace('.', '\\.')}\\.\\d+$`).test(v))
    .sort((a, b) => patch(b) - patch(a))
    .map((v) => path.join(root, 'versions', v, 'bin', name))
    .filter(isExecutableFile);
}

const isShim = (file: string) => path.basename(path.dirname(file)) === 'shims';

/**
 * Where to look for `name` (or the file a path names): PATH's hit, except that a versioned pyenv
 * shim gives way to pyenv's own binaries.
 */
export function candidateFiles(name: string, env: NodeJS.ProcessEnv): Array<{ file: string; label: string }> {
  const onPath = locate(name, env);
  const installed = onPath === null || isShim(onPath) ? pyenvInterpreters(name, env) : [];
  if (installed.length) return installed.map((file) => ({ file, label: file }));
  return onPath ? [{ file: onPath, label: name }] : [];
}

const describe = (i: Interpreter) => `${i.implementation} ${i.version.join('.')}`;

function unsuitable(i: Interpreter, constraints: string[]): string | null {
  if (i.implementation !== 'cpython') return `${describe(i)} is not CPython`;
  if (i.version[0] !== 3 || i.version[1] < 8) return `${describe(i)} is older than 3.8`;
  if (!satisfies(constraints, i.version)) return `${describe(i)} does not satisfy ${constraints.join(' or ')}`;
  return null;
}

export interface FindInterpreterOptions {
  /** A name on PATH or a path; wins over PEX_PYTHON and discovery. */
  python?: string;
  constraints?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * The interpreter to resolve and fetch for: `python` if given, else $PEX_PYTHON, else the
 * first of the archive's own candidate names (see candidateNames) that satisfies the constraints.
 */
export async function findInterpreter(opts: FindInterpreterOptions): Promise<Interpreter> {
  const env = opts.env ?? process.env;
  const constraints = opts.constraints ?? [];
  const chosen = opts.python ?? env.PEX_PYTHON;
  if (chosen) {
    const source = opts.python ? 'python' : 'PEX_PYTHON';
    const file = locate(chosen, env);
    if (!file)
      throw new PexError(
        `'${chosen}' was not found${chosen.includes('/') ? '' : ' on PATH'}`,
        source,
        `install it, or set ${source} to another interpreter`,
      );
    const interpreter = await inspectInterpreter(file);
    const why = unsuitable(interpreter, constraints);
    if (why) {
      throw new PexError(
        `'${chosen}' cannot be used: ${why}`,
        source,
        `set ${source} to another interpreter, or change the constraints (the lock target's interpreterConstraints, which ` +
          'pex:tool --python sets)',
      );
    }
    return interpreter;
  }

  const seen: string[] = [];
  for (const name of candidateNames(constraints)) {
    for (const { file, label } of candidateFiles(name, env)) {
      try {
        const interpreter = await inspectInterpreter(file);
        const why = unsuitable(interpreter, constraints);
        if (!why) return interpreter;
        seen.push(`${label} (${describe(interpreter)})`);
      } catch (err) {
        if (!(err instanceof PexError)) throw err;
        seen.push(`${label} (broken)`);
      }
    }
  }
  const wanted = constraints.length ? `CPython ${constraints.join(' or ')}` : 'CPython >= 3.8';
  const root = pyenvRoot(env);
  throw new PexError(
    `no interpreter satisfies ${wanted} (found: ${seen.join(', ') || 'none'})`,
    `PATH${root ? ` and ${root}/versions` : ''}`,
    "install one, choose one with the lock target's python option (or PEX_PYTHON), or change the constraints (the lock " +
      "target's interpreterConstraints, which pex:tool --python sets)",
  );
}
