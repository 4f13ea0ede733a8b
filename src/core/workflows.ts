import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { ArchiveEnvironment, buildArchive, RUNTIME_DIR } from './archive';
import { BytecodeFile, compileBytecode, RuntimeBytecode } from './bytecode';
import { PexError, Reporter, run, stripAnsi } from './common';
import {
  archiveEnvironments,
  assertLockFresh,
  assertUpgradedPackagesExist,
  keptPins,
  legacyLockBeside,
  lockChanges,
  LockedArtifact,
  Lockfile,
  pylockFor,
  readLockfile,
  Upgrade,
  writeLockfile,
} from './lock';
import { findInterpreter, parsePlatforms } from './python';
import { parseRequirements, Requirements } from './requirements';
import { IndexOptions, resolve } from './resolve';
import { defaultWheelCacheDir, fetchWheels } from './fetch';
import { assertEntryPointModule, availableScripts, WheelFile } from './wheel';

/** The workflows behind the executors and generators: lock, build, materialize, run. No Nx here. */

export interface ToolFiles {
  workspaceRoot: string;
  /** Absolute paths. */
  requirementsFile: string;
  lockFile: string;
}

export interface LockToolOptions extends ToolFiles {
  python?: string;
  interpreterConstraints?: string[];
  /** The platforms to lock (a comma list or an array); default all, and then one pip cannot satisfy is left out. */
  platforms?: string | string[];
  index?: IndexOptions;
  env?: NodeJS.ProcessEnv;
  /** Without it, every pin of the existing lock that the requirements still allow is kept. */
  upgrade?: Upgrade;
  report?: Reporter;
}

const rel = (files: ToolFiles, file: string) => path.relative(files.workspaceRoot, file) || file;

export function readRequirements(files: ToolFiles): Requirements {
  if (!existsSync(files.requirementsFile)) {
    throw new PexError(
      'the requirements file does not exist',
      rel(files, files.requirementsFile),
      'create it with one requirement per line',
    );
  }
  if (!statSync(files.requirementsFile).isFile()) {
    throw new PexError(
      'the requirements file is not a file',
      rel(files, files.requirementsFile),
      'point the requirements option at a requirements.txt',
    );
  }
  return parseRequirements(readFileSync(files.requirementsFile, 'utf8'), rel(files, files.requirementsFile));
}

/** Resolves requirements text with pip for the target interpreter; nothing is written. */
export async function resolveRequirements(
  requirements: Requirements,
  opts: Omit<LockToolOptions, 'requirementsFile' | 'lockFile' | 'upgrade'> & {
    cwd: string;
    lockDir: string;
    pins?: (environment: string) => string[];
  },
): Promise<Lockfile> {
  const constraints = opts.interpreterConstraints ?? [];
  const platforms = opts.platforms === undefined ? undefined : parsePlatforms(opts.platforms, 'platforms');
  const interpreter = await findInterpreter({ python: opts.python, constraints, env: opts.env });
  return resolve({
    interpreter,
    requirements,
    interpreterConstraints: constraints,
    platforms,
    workspaceRoot: opts.workspaceRoot,
    cwd: opts.cwd,
    index: opts.index,
    env: opts.env,
    lockDir: opts.lockDir,
    pins: opts.pins,
    report: opts.report,
  });
}

/** The lock before this relock, when there is a readable one: its pins are kept, and the changes are told against it. */
function previousLock(file: string): Lockfile | null {
  if (!existsSync(file)) return null;
  try {
    return readLockfile(file);
  } catch (e) {
    if (e instanceof PexError) return null;
    throw e;
  }
}

/**
 * Locks, keeping the existing pins the requirements allow; `changes` lists what moved (see lockChanges).
 * The lock is a pylock.toml: a `pex.lock.json` of an earlier version (the lockFile itself, or beside
 * it) gives the pins to keep, and is removed once its pylock.toml is written; `lockFile` is the file written.
 */
export async function lockTool(
  opts: LockToolOptions,
): Promise<{ lock: Lockfile; previous: Lockfile | null; changes: string[]; lockFile: string }> {
  const requirements = readRequirements(opts);
  const lockFile = pylockFor(opts.lockFile);
  const legacy = legacyLockBeside(opts.lockFile);
  const previous = previousLock(lockFile) ?? (legacy ? previousLock(legacy) : null);
  const upgrade = opts.upgrade ?? {};
  const lock = await resolveRequirements(requirements, {
    ...opts,
    cwd: path.dirname(opts.requirementsFile),
    lockDir: path.dirname(lockFile),
    pins: (environment) => keptPins(previous, upgrade, environment),
  });
  assertUpgradedPackagesExist(lock, upgrade, rel(opts, lockFile));
  writeLockfile(lockFile, lock);
  if (legacy) {
    rmSync(legacy, { force: true });
    opts.report?.info(`converted ${rel(opts, legacy)} to ${rel(opts, lockFile)} (PEP 751) and removed it; commit both changes`);
  }
  return { lock, previous, changes: lockChanges(previous, lock), lockFile };
}

/** The lock a build reads: the lockFile, or a `pex.lock.json` of an earlier version beside a missing pylock.toml. */
export function lockToRead(lockFile: string): string {
  return existsSync(lockFile) ? lockFile : (legacyLockBeside(lockFile) ?? lockFile);
}

/** Fetches the lock's wheels into the shared cache; the interpreter is only probed when pip must download. */
export async function fetchLockedWheels(
  lock: Lockfile,
  opts: {
    workspaceRoot: string;
    /** The lock file's directory: local files are recorded relative to it. */
    lockDir: string;
    python?: string;
    cacheDir?: string;
    env?: NodeJS.ProcessEnv;
    pipOptions?: string[];
    requirementsDir?: string;
    index?: IndexOptions;
    report?: Reporter;
  },
  files?: LockedArtifact[],
): Promise<WheelFile[]> {
  return fetchWheels(
    lock,
    {
      pipOptions: opts.pipOptions,
      requirementsDir: opts.requirementsDir,
      lockDir: opts.lockDir,
      index: opts.index,
      report: opts.report,
      cacheDir: opts.cacheDir ?? defaultWheelCacheDir(opts.env),
      workspaceRoot: opts.workspaceRoot,
      interpreter: () => findInterpreter({ python: opts.python, constraints: lock.interpreterConstraints, env: opts.env }),
      env: opts.env,
    },
    files,
  );
}

/** A named script must be one the wheels install; say which ones exist when it is not. */
export function assertScriptExists(script: string, wheels: WheelFile[], where: string): void {
  const scripts = availableScripts(wheels.map((w) => w.path));
  if (!scripts.includes(script)) {
    throw new PexError(
      `script '${script}' is not provided by the locked wheels`,
      where,
      `choose one of: ${scripts.join(', ') || '(none)'}, or use --entryPoint`,
    );
  }
}

export interface BuildToolOptions extends ToolFiles {
  out: string;
  script?: string;
  entryPoint?: string;
  /** A directory whose files go into the archive and the venv's site-packages, when it exists. */
  sourcesDir?: string;
  python?: string;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  /** nx.json's index options: where a locked file that moved is looked for. */
  index?: IndexOptions;
  report?: Reporter;
  /** The command that refreshes the lock, named in the stale-lock message. */
  lockCommand: string;
  pluginVersion: string;
  /** Only the lock's environments on these platforms: a smaller archive. Default: every covered environment. */
  platforms?: string[];
  /**
   * Ship the wheels' bytecode for every covered CPython minor with an interpreter here (default
   * true): the tool's first run then compiles nothing. false: no interpreter is started for it.
   */
  compile?: boolean;
}

/**
 * The environments the archive carries (those of `platforms`, when given) and exactly the wheels they
 * name, each once: a locked sdist stands for the wheel the fetch built from it. Foreign platforms'
 * wheels are only copied, so no interpreter of theirs is needed.
 */
async function archiveWheels(
  lock: Lockfile,
  platforms: string[] | undefined,
  fetch: (files: LockedArtifact[]) => Promise<WheelFile[]>,
): Promise<{ wheels: WheelFile[]; environments: ArchiveEnvironment[] }> {
  const chosen = archiveEnvironments(lock, platforms);
  const files = new Map<string, LockedArtifact>();
  for (const env of chosen) for (const choices of env.files) for (const file of choices) files.set(file.sha256, file);
  const fetched = await fetch([...files.values()]); // in the order asked for
  const wheelOf = new Map([...files.keys()].map((sha256, i) => [sha256, fetched[i]]));
  const wheels = new Map(fetched.map((wheel) => [wheel.filename, wheel]));
  const environments = chosen.map((env) => ({
    id: env.id,
    platform: env.platform,
    python: env.python,
    wheels: env.files.map((choices) => [...new Set(choices.map((file) => wheelOf.get(file.sha256)!.filename))]),
  }));
  return { wheels: [...wheels.values()], environments };
}

/** `3.9, 3.10 or 3.14` */
const listed = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : items[0]);

/**
 * The bytecode of the wheels each covered minor's environments name (on any platform: bytecode
 * depends on the Python, not the machine), compiled by the interpreters of those minors found here.
 */
async function archiveBytecode(
  wheels: WheelFile[],
  environments: ArchiveEnvironment[],
  opts: BuildToolOptions,
): Promise<{ bytecode: BytecodeFile[]; runtimeBytecode?: RuntimeBytecode }> {
  const byName = new Map(wheels.map((wheel) => [wheel.filename, wheel]));
  const names = new Map<string, Set<string>>();
  for (const env of environments) {
    const set = names.get(env.python) ?? new Set<string>();
    env.wheels.flat().forEach((name) => set.add(name));
    names.set(env.python, set);
  }
  const { files, missing, runtime } = await compileBytecode({
    targets: [...names].map(([python, set]) => ({ python, wheels: [...set].map((name) => byName.get(name)!) })),
    python: opts.python,
    runtime: path.join(RUNTIME_DIR, 'pexnx'),
    cacheDir: opts.cacheDir ?? defaultWheelCacheDir(opts.env),
    env: opts.env,
    report: opts.report,
  });
  if (missing.length) {
    const whose = missing.length > 1 ? 'their' : 'its';
    opts.report?.info(`no CPython ${listed(missing)} here: ${whose} bytecode is compiled on the tool's first run`);
  }
  return { bytecode: files, runtimeBytecode: runtime };
}

export async function buildTool(opts: BuildToolOptions) {
  if (opts.script && opts.entryPoint) {
    throw new PexError(`both script '${opts.script}' and entryPoint '${opts.entryPoint}' are set`, 'the pex target', 'keep one');
  }
  const requirements = readRequirements(opts);
  const lockFile = lockToRead(opts.lockFile);
  const lock = readLockfile(lockFile);
  assertLockFresh(lock, requirements, rel(opts, lockFile), opts.lockCommand);
  const sourcesDir = opts.sourcesDir && existsSync(opts.sourcesDir) ? opts.sourcesDir : undefined;
  if (sourcesDir && !statSync(sourcesDir).isDirectory()) {
    throw new PexError('the sources option is not a directory', rel(opts, sourcesDir), "point it at the tool's source dir");
  }
  const { wheels, environments } = await archiveWheels(lock, opts.platforms, (files) =>
    fetchLockedWheels(
      lock,
      {
        ...opts,
        lockDir: path.dirname(lockFile),
        pipOptions: requirements.pipOptions,
        requirementsDir: path.dirname(opts.requirementsFile),
      },
      files,
    ),
  );
  if (opts.script) assertScriptExists(opts.script, wheels, rel(opts, lockFile));
  if (opts.entryPoint) assertEntryPointModule(opts.entryPoint, wheels, sourcesDir, rel(opts, lockFile));
  const compiled = opts.compile === false ? {} : await archiveBytecode(wheels, environments, opts);
  return buildArchive({
    out: opts.out,
    wheels,
    environments,
    ...compiled,
    requirements: lock.requirements,
    script: opts.script,
    entryPoint: opts.entryPoint,
    interpreterConstraints: lock.interpreterConstraints,
    sourcesDir,
    // Nothing of the building machine: the archive is the same bytes wherever it is built.
    buildProperties: { pex_nx_version: opts.pluginVersion, class: 'CPython' },
  });
}

export interface MaterializeOptions {
  archive: string;
  dest: string;
  binPath?: 'prepend' | 'append' | 'false';
  compile?: boolean;
  prompt?: string;
  env?: NodeJS.ProcessEnv;
}

/** `venv --force` replaces dest: only ever an empty dir or an earlier venv, never a user's files. */
function assertReplaceable(dest: string): void {
  if (!existsSync(dest)) return;
  const isVenv = statSync(dest).isDirectory() && (readdirSync(dest).length === 0 || existsSync(path.join(dest, 'pyvenv.cfg')));
  if (!isVenv) {
    throw new PexError('the venv directory exists and is not a venv', dest, 'move it away, or set outputPath to a new directory');
  }
}

/** The venv comes from the archive's own PEX_TOOLS code, so there is one venv builder. */
export async function materializeVenv(opts: MaterializeOptions): Promise<void> {
  if (!existsSync(opts.archive)) {
    throw new PexError('the archive does not exist', opts.archive, 'build it first (the pex target)');
  }
  assertReplaceable(opts.dest);
  const args = ['venv', '--force', '--relocatable', opts.dest];
  if (opts.binPath) args.push('--bin-path', opts.binPath);
  if (opts.compile) args.push('--compile');
  if (opts.prompt) args.push('--prompt', opts.prompt);
  const result = await run(opts.archive, args, { env: { ...(opts.env ?? process.env), PEX_TOOLS: '1' } });
  if (result.code !== 0) {
    const line = stripAnsi(result.stderr).trim().split('\n').pop() || `exit code ${result.code}`;
    throw new PexError(
      `the venv could not be built (${line})`,
      `${opts.archive} venv ${opts.dest}`,
      "fix what the archive's line says, then run the venv target again",
    );
  }
}

/** Runs the archive with the terminal attached; returns its exit code (128+N for a signal, like a shell). */
export async function runTool(opts: { archive: string; args: string[]; cwd: string; env?: NodeJS.ProcessEnv }): Promise<number> {
  if (!existsSync(opts.archive)) {
    throw new PexError('the archive does not exist', opts.archive, 'build it first (the pex target)');
  }
  if (!existsSync(opts.cwd) || !statSync(opts.cwd).isDirectory()) {
    throw new PexError('the working directory does not exist', opts.cwd, 'create it, or fix the cwd option');
  }
  const result = await run(opts.archive, opts.args, { cwd: opts.cwd, env: opts.env, stdio: 'inherit' });
  return result.signal ? 128 + (constants.signals[result.signal] ?? 1) : result.code;
}
