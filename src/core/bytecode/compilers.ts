import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PexError, writeFileAtomic } from '../common';
import { candidateFiles, inspectInterpreter, Interpreter, Version } from '../python';
import { runCompileWheels } from './compileScript';

/** A CPython that compiles the bytecode of one minor. */
export interface Compiler {
  /** Its sys.executable. */
  path: string;
  version: Version;
  /** sys.implementation.cache_tag, e.g. cpython-311 */
  cacheTag: string;
  /** importlib.util.MAGIC_NUMBER in hex: it changes with the bytecode format, also within a minor's pre-releases. */
  magic: string;
}

/** A file as it is on disk now: a replaced or upgraded interpreter has another one. */
interface Stamp {
  file: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** What an interpreter file is, remembered across builds so that a warm build starts no Python. */
interface Identity {
  /** The file found (a name's PATH hit, pyenv's binary, the python option) ... */
  candidate: Stamp;
  /** ... and the sys.executable it runs: both must be unchanged for the identity to hold. */
  executable: Stamp;
  path: string;
  implementation: string;
  version: Version;
  /** Only for CPython 3.8+, the interpreters that run compile_wheels.py. */
  cacheTag: string | null;
  magic: string | null;
}

function stamp(file: string): Stamp | null {
  try {
    const real = realpathSync(file);
    const { size, mtimeMs, ino } = statSync(real);
    return { file: real, size, mtimeMs, ino };
  } catch {
    return null;
  }
}

const same = (a: Stamp | null, b: Stamp | null) => a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);

function readIdentity(file: string): Identity | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Identity;
  } catch {
    return null;
  }
}

export interface FindCompilerOptions {
  /** Used for its minor when it is a CPython of that minor; otherwise `python3.X` is looked for. */
  python?: string;
  env: NodeJS.ProcessEnv;
  /** Where identities are remembered, one file per interpreter file. */
  memoDir: string;
  /** Identities already asked for in this build: targets of several minors probe a file once. */
  seen: Map<string, Promise<Identity | null>>;
}

/** inspectInterpreter's answer and, for a CPython 3.8+, compile_wheels.py's cache tag and magic number. */
async function probe(file: string, memoFile: string, candidate: Stamp, env: NodeJS.ProcessEnv): Promise<Identity | null> {
  let interpreter: Interpreter;
  try {
    interpreter = await inspectInterpreter(file);
  } catch (e) {
    if (e instanceof PexError) return null; // not a working Python: as findInterpreter, look on
    throw e;
  }
  const executable = stamp(interpreter.path);
  if (!executable) return null;
  const [major, minor] = interpreter.version;
  const compiles = interpreter.implementation === 'cpython' && major === 3 && minor >= 8;
  const format = compiles ? await runCompileWheels(interpreter, [], env) : null;
  const identity: Identity = {
    candidate,
    executable,
    path: interpreter.path,
    implementation: interpreter.implementation,
    version: interpreter.version,
    cacheTag: format?.cache_tag ?? null,
    magic: format?.magic ?? null,
  };
  writeFileAtomic(memoFile, JSON.stringify(identity));
  return identity;
}

async function identify(file: string, opts: FindCompilerOptions): Promise<Identity | null> {
  const memoFile = path.join(opts.memoDir, `${createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 32)}.json`);
  const candidate = stamp(file);
  if (!candidate) return null;
  const known = readIdentity(memoFile);
  if (known && same(known.candidate, candidate) && same(known.executable, stamp(known.executable.file))) return known;
  return probe(file, memoFile, candidate, opts.env);
}

/** The 'major.minor' of the interpreter `name` finds first (as findCompiler looks), or null. */
export async function minorOf(name: string, opts: FindCompilerOptions): Promise<string | null> {
  const [first] = candidateFiles(name, opts.env);
  if (!first) return null;
  let identity = opts.seen.get(first.file);
  if (!identity) opts.seen.set(first.file, (identity = identify(first.file, opts)));
  const found = await identity;
  return found ? found.version.slice(0, 2).join('.') : null;
}

/**
 * The interpreter that compiles `minor`'s bytecode ('3.11'): `python` when it is a CPython of that
 * minor, else the first `python3.X` found as the lock and the archives find interpreters (PATH,
 * and pyenv's installed versions behind its shims); null when there is none here. An interpreter
 * file is probed once: what it is is remembered until the file (or the one it runs) changes.
 */
export async function findCompiler(minor: string, opts: FindCompilerOptions): Promise<Compiler | null> {
  for (const name of [...(opts.python ? [opts.python] : []), `python${minor}`]) {
    for (const { file } of candidateFiles(name, opts.env)) {
      let identity = opts.seen.get(file);
      if (!identity) opts.seen.set(file, (identity = identify(file, opts)));
      const found = await identity;
      if (found?.implementation === 'cpython' && found.version.slice(0, 2).join('.') === minor && found.cacheTag && found.magic) {
        return { path: found.path, version: found.version, cacheTag: found.cacheTag, magic: found.magic };
      }
    }
  }
  return null;
}
