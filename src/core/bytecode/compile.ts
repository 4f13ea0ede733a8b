import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Reporter, sha256File, silentReporter, writeFileAtomic } from '../common';
import type { WheelFile } from '../wheel';
import { runCompileWheels } from './compileScript';
import { Compiler, findCompiler, minorOf } from './compilers';

/** A wheel's bytecode for one interpreter cache tag: a zip of checked-hash pycs, paths relative to site-packages. */
export interface BytecodeFile {
  /** sys.implementation.cache_tag of the compiling interpreter, e.g. 'cpython-311' */
  cacheTag: string;
  /** the wheel file name it belongs to (a key of PEX-INFO distributions) */
  wheel: string;
  /** the bytecode zip on disk */
  path: string;
  sha256: string;
}

export interface BytecodeTarget {
  /** 'major.minor' */
  python: string;
  wheels: WheelFile[];
}

export interface CompileBytecodeOptions {
  targets: BytecodeTarget[];
  /** The interpreter of the build (a name or a path): it compiles its own minor. */
  python?: string;
  /** The wheel cache: the bytecode is kept under its `bytecode/`. */
  cacheDir: string;
  /**
   * The archive runtime's module dir (`pexnx/`): its modules are compiled too, for one minor, since
   * zipimport takes one `<module>.pyc` beside each source: that of `python` (else `python3`) when
   * it is a target, which is what the archive's first run most likely starts; else the newest target compiled.
   */
  runtime?: string;
  env?: NodeJS.ProcessEnv;
  report?: Reporter;
}

/** The runtime's modules compiled for one interpreter: `<module>.pyc` files, to go beside their sources. */
export interface RuntimeBytecode {
  cacheTag: string;
  files: Array<{ name: string; path: string }>;
}

/**
 * The cache of one bytecode format, `<cacheDir>/bytecode/<cache_tag>-<magic>/`: per wheel sha256,
 * `<sha256>.zip`, or `<sha256>.none` for a wheel with no .py that compiles. A zip is renamed into
 * place complete, so one that is there is whole; a killed build leaves at most a temp file beside it.
 */
const formatDir = (cacheDir: string, compiler: Compiler) => path.join(cacheDir, 'bytecode', `${compiler.cacheTag}-${compiler.magic}`);
const zipOf = (dir: string, wheel: WheelFile) => path.join(dir, `${wheel.sha256}.zip`);
const noneOf = (dir: string, wheel: WheelFile) => path.join(dir, `${wheel.sha256}.none`);

interface Job {
  minor: string;
  compiler: Compiler;
  dir: string;
  wheels: WheelFile[];
  /** The wheels without a cache entry: only these go to the interpreter. */
  todo: WheelFile[];
  /** The runtime's modules, when this job compiles them: their dir, and whether the cache lacks them. */
  runtime?: { dir: string; out: string; todo: boolean };
}

const byVersion = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1];
};
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Names the runtime's compiled modules in the cache: a hash of its `.py` files' names and bytes. */
function sourcesHash(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.py'))
    .sort())
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(path.join(dir, name)))
      .update('\0');
  return hash.digest('hex').slice(0, 32);
}

/** Runs `fn` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function compileJob(job: Job, env: NodeJS.ProcessEnv, report: Reporter): Promise<void> {
  const count = job.todo.length;
  const runtime = job.runtime?.todo ? [{ runtime: job.runtime.dir, out: job.runtime.out }] : [];
  const what = [...(count ? [`${count} wheel${count === 1 ? '' : 's'}`] : []), ...(runtime.length ? ["the archive's runtime"] : [])];
  report.info(`compiling bytecode with CPython ${job.minor} for ${what.join(' and ')}`);
  mkdirSync(job.dir, { recursive: true });
  const output = await runCompileWheels(
    job.compiler,
    [...job.todo.map((wheel) => ({ wheel: wheel.path, out: zipOf(job.dir, wheel) })), ...runtime],
    env,
  );
  output.items.slice(0, count).forEach((item, i) => {
    if (!item.written) writeFileAtomic(noneOf(job.dir, job.todo[i]), '');
  });
}

/**
 * The bytecode of each target's wheels, compiled by a CPython of the target's minor found here
 * (see findCompiler) and cached per bytecode format and wheel sha256: only wheels the cache lacks
 * go to the interpreter, one process per minor with work, at most one per CPU at a time, so a
 * warm build starts no Python at all. `missing` lists the minors with no interpreter here;
 * `files` is sorted by cache tag, then wheel.
 */
export async function compileBytecode(
  opts: CompileBytecodeOptions,
): Promise<{ files: BytecodeFile[]; missing: string[]; runtime?: RuntimeBytecode }> {
  const env = opts.env ?? process.env;
  const wheelsOf = new Map<string, Map<string, WheelFile>>();
  for (const target of opts.targets) {
    const wheels = wheelsOf.get(target.python) ?? new Map<string, WheelFile>();
    for (const wheel of target.wheels) wheels.set(wheel.filename, wheel);
    wheelsOf.set(target.python, wheels);
  }
  const minors = [...wheelsOf.keys()].sort(byVersion);
  const lookup = { python: opts.python, env, memoDir: path.join(opts.cacheDir, 'bytecode', 'interpreters'), seen: new Map() };
  const compilers = await Promise.all(minors.map((minor) => findCompiler(minor, lookup)));
  const jobs: Job[] = [];
  minors.forEach((minor, i) => {
    const compiler = compilers[i];
    if (!compiler) return;
    const dir = formatDir(opts.cacheDir, compiler);
    const wheels = [...wheelsOf.get(minor)!.values()];
    const todo = wheels.filter((wheel) => !existsSync(zipOf(dir, wheel)) && !existsSync(noneOf(dir, wheel)));
    jobs.push({ minor, compiler, dir, wheels, todo });
  });
  const preferred = opts.runtime && (await minorOf(opts.python ?? 'python3', lookup));
  const runtimeJob = opts.runtime ? (jobs.find((job) => job.minor === preferred) ?? jobs[jobs.length - 1]) : undefined;
  if (runtimeJob && opts.runtime) {
    const out = path.join(runtimeJob.dir, `runtime-${sourcesHash(opts.runtime)}`);
    runtimeJob.runtime = { dir: opts.runtime, out, todo: !existsSync(out) };
  }
  await eachLimited(
    jobs.filter((job) => job.todo.length || job.runtime?.todo),
    availableParallelism(),
    (job) => compileJob(job, env, opts.report ?? silentReporter),
  );
  const files: BytecodeFile[] = [];
  for (const job of jobs) {
    for (const wheel of job.wheels) {
      const zip = zipOf(job.dir, wheel);
      if (existsSync(zip)) files.push({ cacheTag: job.compiler.cacheTag, wheel: wheel.filename, path: zip, sha256: await sha256File(zip) });
    }
  }
  files.sort((a, b) => byText(a.cacheTag, b.cacheTag) || byText(a.wheel, b.wheel));
  const runtime = runtimeJob?.runtime && {
    cacheTag: runtimeJob.compiler.cacheTag,
    files: readdirSync(runtimeJob.runtime.out)
      .filter((name) => name.endsWith('.pyc'))
      .sort()
      .map((name) => ({ name, path: path.join(runtimeJob.runtime!.out, name) })),
  };
  return { files, missing: minors.filter((_, i) => !compilers[i]), runtime };
}
