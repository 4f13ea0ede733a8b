import * as path from 'node:path';
import { PexError, run, stripAnsi } from '../common';
import type { Version } from '../python';

/** The Python side: next to this file in src/ and in dist/ (scripts/build.js copies it). */
export const COMPILE_WHEELS_SCRIPT = path.join(__dirname, 'compile_wheels.py');

/**
 * One wheel to compile, and the bytecode zip it gets (none when it has no .py that compiles); or the
 * archive runtime's module dir, and the new dir that gets its `<module>.pyc` files.
 */
export type CompileItem = { wheel: string; out: string } | { runtime: string; out: string };

/** compile_wheels.py's answer: the interpreter's bytecode format, and per item whether a zip was written. */
export interface CompileOutput {
  /** sys.implementation.cache_tag, e.g. cpython-311 */
  cache_tag: string;
  /** importlib.util.MAGIC_NUMBER in hex */
  magic: string;
  items: Array<{ wheel: string; written: boolean; compiled: number; skipped: number }>;
}

/**
 * The script's environment: no PYTHON* variable of the caller's (PYTHONDONTWRITEBYTECODE,
 * PYTHONOPTIMIZE, PYTHONPATH...) and a fixed hash seed, which makes its bytecode the same bytes on
 * every run (`-E`/`-I` would ignore that seed too).
 */
function scriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('PYTHON'))), PYTHONHASHSEED: '0' };
}

/**
 * Runs compile_wheels.py with `interpreter` on `items` (none: it only reports its cache tag and
 * magic number), without the user's site (`-s`) or any site and .pth files (`-S`). A process that
 * fails is one line naming the interpreter and the last line it wrote on stderr.
 */
export async function runCompileWheels(
  interpreter: { path: string; version: Version },
  items: CompileItem[],
  env: NodeJS.ProcessEnv,
): Promise<CompileOutput> {
  const result = await run(interpreter.path, ['-s', '-S', COMPILE_WHEELS_SCRIPT], { input: JSON.stringify(items), env: scriptEnv(env) });
  let output: CompileOutput | undefined;
  try {
    output = result.code === 0 ? (JSON.parse(result.stdout) as CompileOutput) : undefined;
  } catch {
    output = undefined;
  }
  if (output?.items?.length !== items.length || typeof output.cache_tag !== 'string' || typeof output.magic !== 'string') {
    const status = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const line = stripAnsi(result.stderr).trim().split('\n').pop() || (result.code ? status : "its output is not the compiler's");
    throw new PexError(
      `the bytecode could not be compiled (${line})`,
      `${interpreter.path} (CPython ${interpreter.version.join('.')})`,
      "repair that interpreter or take it off PATH, or set the pex target's compile option to false",
    );
  }
  return output;
}
