import { createHash } from 'node:crypto';
import { CONTRACT, PexError } from '../common';

export interface PexInfoInput {
  requirements: string[];
  wheels: Array<{ filename: string; sha256: string }>;
  entryPoint?: string;
  script?: string;
  interpreterConstraints: string[];
  codeHash: string;
  /** Identifies the runtime under .bootstrap/: pex keys its bootstrap cache by it and refuses an archive without it. */
  bootstrapHash: string;
  buildProperties: Record<string, unknown>;
  /** PEX's `venv_bin_path` (default `false`) and `strip_pex_env` (default true). */
  venvBinPath?: 'false' | 'prepend' | 'append';
  stripPexEnv?: boolean;
  /** Our per-environment wheel choice, under PEX-INFO's `pex_nx` key (pex's own fields stay as pex defines them). */
  environments: PexInfoEnvironment[];
  /** Per interpreter cache tag (`cpython-311`), per wheel file name, the sha256 of its bytecode zip; under `pex_nx`. */
  bytecode?: Record<string, Record<string, string>>;
}

/** One locked environment: per package, its wheel file names, best-ranked first. */
export interface PexInfoEnvironment {
  id: string;
  platform: string;
  python: string;
  wheels: string[][];
}

/** PEX-INFO's key for our own data: pex's tools keep unknown keys, and it is part of pex_hash. */
export const PEX_INFO_KEY = 'pex_nx';

const IDENTIFIER = '[\\p{L}_][\\p{L}\\p{N}_]*';
const ENTRY_POINT = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})*(:${IDENTIFIER}(\\.${IDENTIFIER})*)?$`, 'u');
const SCRIPT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** Python's `json.dumps(v, sort_keys=True, separators=(",", ":"))` (ASCII-escaped), so both sides hash the same bytes. */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`PEX-INFO holds integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${pythonJson(k)}:${pythonJson(v)}`).join(',')}}`;
  }
  throw new Error(`PEX-INFO cannot hold a ${typeof value}`);
}

/** PEX-INFO per docs/archive-format.md; `pex_hash` is the sha1 of the dump without it. */
export function buildPexInfo(input: PexInfoInput): { json: string; pexHash: string } {
  const where = 'the archive build';
  if (input.entryPoint && input.script) {
    throw new PexError(
      `both entry point '${input.entryPoint}' and script '${input.script}' are set`,
      'the pex target',
      'keep one of entryPoint and script',
    );
  }
  if (input.entryPoint && !ENTRY_POINT.test(input.entryPoint)) {
    throw new PexError(
      `entry point '${input.entryPoint}' is not 'module' or 'module:function'`,
      'the entryPoint option',
      'write it like black:patched_main',
    );
  }
  if (input.script && !SCRIPT.test(input.script)) {
    throw new PexError(
      `script '${input.script}' is not a script name (letters, digits, '_', '.', '+', '-')`,
      'the script option',
      'give the name of a console script',
    );
  }
  const distributions: Record<string, string> = {};
  for (const wheel of input.wheels) {
    if (wheel.filename in distributions) {
      throw new PexError(`${wheel.filename} is given twice`, where, 'pass each wheel once: it goes into the archive once');
    }
    distributions[wheel.filename] = wheel.sha256;
  }
  checkEnvironments(input.environments, distributions);
  checkBytecode(input.bytecode ?? {}, distributions);
  // Every field pex's PexInfo.as_json_dict() always writes, with pex's types and normal form (sorted
  // lists), so pex's tools read back exactly this object and pex_hash is also pex's sha1 of its dump.
  const info: Record<string, unknown> = {
    bootstrap_hash: input.bootstrapHash,
    build_properties: input.buildProperties,
    code_hash: input.codeHash,
    deps_are_wheel_files: true,
    distributions,
    emit_warnings: true,
    entry_point: input.entryPoint || null,
    excluded: [],
    includes_tools: true,
    inherit_path: 'false',
    interpreter_constraints: [...input.interpreterConstraints].sort(),
    // Our runtime searches PEX_PYTHON_PATH and PATH newest first; pex's tools use this when they pick one.
    interpreter_selection_strategy: 'newest',
    overridden: [],
    [PEX_INFO_KEY]: {
      environments: input.environments.map((env) => ({ id: env.id, platform: env.platform, python: env.python, wheels: env.wheels })),
      bytecode: input.bytecode && Object.keys(input.bytecode).length ? input.bytecode : undefined,
    },
    pex_path: '',
    requirements: [...input.requirements].sort(),
    script: input.script || null,
    strip_pex_env: input.stripPexEnv ?? true,
    venv: true,
    venv_bin_path: input.venvBinPath ?? 'false',
    venv_copies: false,
  };
  const pexHash = createHash('sha1').update(pythonJson(info)).digest('hex');
  return { json: pythonJson({ ...info, pex_hash: pexHash }), pexHash };
}

const ENVIRONMENT_ID = /^(linux_x86_64|linux_aarch64|macos_arm64|macos_x86_64)-cp3(\d+)$/;

/**
 * Environments name wheels of the archive only, and every wheel is named by one: the archive holds
 * exactly what its environments install. Ids are `<platform>-cp3<minor>`, matching platform and python.
 */
function checkEnvironments(environments: PexInfoEnvironment[], distributions: Record<string, string>): void {
  const where = 'the archive build';
  if (!environments.length) {
    throw new PexError('no environment is given', where, 'build from a lock that covers at least one environment');
  }
  const ids = new Set<string>();
  const named = new Set<string>();
  for (const env of environments) {
    const m = ENVIRONMENT_ID.exec(env.id);
    if (!m || env.platform !== m[1] || env.python !== `3.${m[2]}`) {
      throw new PexError(
        `environment '${env.id}' (platform ${env.platform}, python ${env.python}) is not ` +
          `'<platform>-cp3<minor>' of its own platform and python`,
        where,
        'name environments like linux_x86_64-cp311, for platform linux_x86_64 and python 3.11',
      );
    }
    if (ids.has(env.id)) throw new PexError(`environment ${env.id} is given twice`, where, 'pass each environment once');
    ids.add(env.id);
    for (const choices of env.wheels) {
      if (!choices.length)
        throw new PexError(`environment ${env.id} has a package with no wheel`, where, 'give each package at least one wheel');
      for (const name of choices) {
        if (!(name in distributions)) {
          throw new PexError(`environment ${env.id} names ${name}, which is not among the archive's wheels`, where, 'pass that wheel too');
        }
        named.add(name);
      }
    }
  }
  const unnamed = Object.keys(distributions).find((name) => !named.has(name));
  if (unnamed) {
    throw new PexError(`${unnamed} is named by no environment`, where, 'pack only the wheels the environments install');
  }
}

const CACHE_TAG = new RegExp(CONTRACT.bytecode.cacheTag);
const SHA256 = /^[0-9a-f]{64}$/;

/** Bytecode belongs to a wheel of the archive, for a CPython cache tag, and is named by its sha256. */
function checkBytecode(bytecode: Record<string, Record<string, string>>, distributions: Record<string, string>): void {
  const where = 'the archive build';
  for (const [tag, wheels] of Object.entries(bytecode)) {
    if (!CACHE_TAG.test(tag)) {
      throw new PexError(`bytecode cache tag '${tag}' is not a CPython 3 tag`, where, 'compile with CPython (tags look like cpython-311)');
    }
    for (const [name, sha256] of Object.entries(wheels)) {
      if (!(name in distributions)) {
        throw new PexError(`bytecode for ${name}, which is not among the archive's wheels`, where, 'compile only the wheels it packs');
      }
      if (!SHA256.test(sha256)) throw new PexError(`bytecode of ${name} has no sha256`, where, 'compile it again');
    }
  }
}

/** sha1 over each file in path order: its relative path, NUL, its bytes, NUL. */
export function codeHash(files: Array<{ path: string; data: Buffer }>): string {
  const hash = createHash('sha1');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(file.path).update('\0').update(file.data).update('\0');
  }
  return hash.digest('hex');
}
