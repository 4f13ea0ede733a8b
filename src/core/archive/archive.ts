import {
  chmodSync,
  createReadStream,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import * as path from 'node:path';
import { PassThrough, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { CONTRACT, isReservedEntry, PexError, tempWriteStream, venvsSubdir, verifyingSha256 } from '../common';
import { candidateNames, parseConstraint, satisfies } from '../python';
import { buildPexInfo, codeHash, PexInfoInput } from './pexInfo';
import { assertSafeWheel, parseWheelName, WheelFile } from '../wheel';
import type { BytecodeFile, RuntimeBytecode } from '../bytecode';
import { makeOffsetsAbsolute } from './zipOffsets';

/** One locked environment the archive carries. */
export interface ArchiveEnvironment {
  id: string;
  platform: string;
  /** 'major.minor' */
  python: string;
  /** Per package, the archive's wheel file names for it, best-ranked first: the runtime takes the first one the machine runs. */
  wheels: string[][];
}

export interface ArchiveInput {
  out: string;
  /** Every wheel the environments name, each once. */
  wheels: WheelFile[];
  environments: ArchiveEnvironment[];
  /** Bytecode zips (docs/archive-format.md, Bytecode), at most one per wheel and cache tag. */
  bytecode?: BytecodeFile[];
  /** The runtime's own modules compiled for one interpreter: each `<module>.pyc` goes beside its source. */
  runtimeBytecode?: RuntimeBytecode;
  requirements: string[];
  entryPoint?: string;
  script?: string;
  /** The lock's; the archive narrows them to the Python minors its environments cover (see archiveConstraints). */
  interpreterConstraints: string[];
  /** Its files go to the archive root (and the venv's site-packages). */
  sourcesDir?: string;
  buildProperties?: Record<string, unknown>;
  venvBinPath?: PexInfoInput['venvBinPath'];
  stripPexEnv?: boolean;
  /** Holds preamble.sh, __main__.py and pexnx/; defaults to the runtime shipped beside this module. */
  runtimeDir?: string;
}

export interface BuiltArchive {
  path: string;
  pexHash: string;
  size: number;
}

/** The runtime shipped beside this module (src/runtime, dist/runtime): preamble.sh, __main__.py, pexnx/. */
export const RUNTIME_DIR = path.join(__dirname, '../../runtime');

// DOS time is local time, and yazl encodes it so: a local date gives 1980-01-01 00:00 in any time zone.
const DOS_EPOCH = new Date(1980, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;
// Leaves room for deflate overhead and the preamble; beyond it every offset may need 64 bits.
const ZIP64_THRESHOLD = 0xf0000000;

interface Runtime {
  preamble: string;
  main: string;
  bootstrap: Array<{ name: string; data: Buffer }>;
}

function readRuntime(dir: string): Runtime {
  const need = (rel: string) => {
    const file = path.join(dir, rel);
    if (!existsSync(file))
      throw new PexError(`the archive runtime is incomplete (${file} is missing)`, "the pex plugin's runtime", 'reinstall the pex plugin');
    return file;
  };
  const preamble = readFileSync(need('preamble.sh'), 'utf8');
  const main = readFileSync(need('__main__.py'), 'utf8');
  const pexnx = need('pexnx');
  const bootstrap = readdirSync(pexnx, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(py|json)$/.test(e.name)) // the modules and the contract they read
    .map((e) => ({ name: `.bootstrap/pexnx/${e.name}`, data: readFileSync(path.join(pexnx, e.name)) }));
  return { preamble, main, bootstrap };
}

/** Every file under `dir` (bytecode caches excluded: they are build byproducts), with posix relative paths. */
function readSources(dir: string): Array<{ path: string; data: Buffer }> {
  const files: Array<{ path: string; data: Buffer }> = [];
  const root = realpathSync(dir);
  const seen = new Set([root]);
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const relPath = rel ? `${rel}/${name}` : name;
      const file = path.join(dir, relPath);
      if (lstatSync(file).isSymbolicLink()) {
        // A link is followed only when it stays inside the sources dir: it must not pull in, say, ~/.ssh.
        let target: string;
        try {
          target = realpathSync(file);
        } catch {
          throw new PexError(`${file} is a broken symlink`, 'the tool sources', 'fix or remove it');
        }
        const inside = path.relative(root, target);
        if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
          throw new PexError(
            `${file} is a symlink to ${target}, outside ${dir}`,
            'the tool sources',
            `copy the file into ${dir} or remove the link`,
          );
        }
      }
      const stat = statSync(file);
      if (stat.isDirectory()) {
        const real = realpathSync(file);
        if (seen.has(real))
          throw new PexError(`${file} links to a directory that is already included`, 'the tool sources', 'remove the link');
        seen.add(real);
        if (name !== '__pycache__') walk(relPath);
      } else if (stat.isFile() && !name.endsWith('.pyc')) {
        if (isReservedEntry(relPath)) {
          throw new PexError(
            `${path.join(dir, relPath)} would replace the archive's own ${relPath}`,
            'the tool sources',
            'rename or move it',
          );
        }
        files.push({ path: relPath, data: readFileSync(path.join(dir, relPath)) });
      }
    }
  };
  walk('');
  return files;
}

/**
 * Replaces each `@TOKEN@` of a runtime template. A token without a value, or a value whose
 * token the template lacks, means the runtime and this builder disagree: an error, never
 * an archive whose fast path silently misses.
 */
export function render(template: string, values: Record<string, string>, name: string): string {
  const unused = new Set(Object.keys(values));
  const unknown = new Set<string>();
  const text = template.replace(/@([A-Z][A-Z0-9_]*)@/g, (token, key: string) => {
    if (!Object.hasOwn(values, key)) {
      unknown.add(token);
      return token;
    }
    unused.delete(key);
    return values[key];
  });
  if (unknown.size || unused.size) {
    const problems = [...[...unknown].map((t) => `unknown token ${t}`), ...[...unused].map((k) => `no @${k}@`)];
    throw new PexError(
      `the archive runtime's ${name} does not fit this builder (${problems.join(', ')})`,
      "the pex plugin's runtime",
      'reinstall the pex plugin',
    );
  }
  return text;
}

/** The templates' token values (docs/archive-format.md, Templates); `pythons` is the `@PYTHONS@` list. */
export function templateValues(pexHash: string, pythons: string): { preamble: Record<string, string>; main: Record<string, string> } {
  const venvs = venvsSubdir(pexHash);
  return {
    preamble: {
      VENVS: venvs,
      OVERRIDES: CONTRACT.overrides.map((name) => `\${${name}-}`).join(''),
      PYTHONS: pythons,
    },
    main: { VENVS: venvs, OVERRIDES: CONTRACT.overrides.join(' ') },
  };
}

const { oldest, newest } = CONTRACT.cpythonMinors;
const PATCHES = Array.from({ length: 100 }, (_, i) => i);
const allowsMinor = (constraint: string[], minor: number) => PATCHES.some((patch) => satisfies(constraint, [3, minor, patch]));

/**
 * The archive's interpreter constraints: the lock's, narrowed to the CPython minors its environments
 * cover, so the preamble's candidates, our runtime and pex's tools only try interpreters it can serve.
 * Constraints that already allow exactly those minors stay as written.
 */
export function archiveConstraints(constraints: string[], environments: ArchiveEnvironment[]): string[] {
  return narrowedConstraints(constraints, environments).map(pexNormalForm);
}

/** pex's `str(InterpreterConstraint)`: the implementation as written, then the specifiers sorted, each once. */
function pexNormalForm(constraint: string): string {
  const [, impl, rest] = /^\s*([A-Za-z]*)\s*(.*?)\s*$/.exec(constraint) as RegExpExecArray;
  const specs = [...new Set(rest.split(',').map((spec) => spec.replace(/\s+/g, '')))].filter(Boolean).sort();
  return `${impl}${specs.join(',')}`;
}

function narrowedConstraints(constraints: string[], environments: ArchiveEnvironment[]): string[] {
  const covered = [...new Set(environments.map((env) => Number(env.python.split('.')[1])))].sort((a, b) => a - b);
  const minors = Array.from({ length: newest - oldest + 1 }, (_, i) => oldest + i);
  const allowed = minors.filter((minor) => allowsMinor(constraints, minor));
  if (!covered.length || allowed.join() === covered.join()) return constraints;
  const runs: Array<[number, number]> = [];
  for (const minor of covered) {
    const last = runs[runs.length - 1];
    if (last && last[1] === minor - 1) last[1] = minor;
    else runs.push([minor, minor]);
  }
  const specs = runs.map(([low, high]) => (low === high ? `==3.${low}.*` : `>=3.${low},<3.${high + 1}`));
  if (!constraints.length) return specs.map((spec) => `CPython${spec}`);
  const narrowed = constraints.flatMap((constraint) =>
    specs
      .map((spec) => (parseConstraint(constraint).clauses.length ? `${constraint.trim()},${spec}` : `${constraint.trim()}${spec}`))
      .filter((both) => covered.some((minor) => allowsMinor([both], minor))),
  );
  // Constraints that allow none of the covered minors stay: the archive then runs nowhere and says so.
  return narrowed.length ? narrowed : constraints;
}

/** A file copied into the archive byte for byte, STORED, its sha256 checked on the way. */
type Copied = { filename: string; path: string; sha256: string };
type Entry = { name: string; data: Buffer } | { name: string; file: Copied; size: number };

/** `.bootstrap/pexnx/<module>.pyc` beside each module's source, where zipimport takes it instead of compiling. */
function runtimePycs(runtime: Runtime, compiled: RuntimeBytecode | undefined): Array<{ name: string; data: Buffer }> {
  return (compiled?.files ?? []).map((file) => {
    const name = `.bootstrap/pexnx/${file.name}`;
    if (!/^[A-Za-z_]\w*\.pyc$/.test(file.name) || !runtime.bootstrap.some((source) => `${source.name}c` === name)) {
      throw new PexError(`${file.path} is no module of the archive runtime`, 'the bytecode cache', 'delete it and build the archive again');
    }
    return { name, data: readFileSync(file.path) };
  });
}

/** PEX-INFO's `pex_nx.bytecode` and the archive's entries for the bytecode zips; each (tag, wheel) once. */
function bytecodeEntries(bytecode: BytecodeFile[]): { info: Record<string, Record<string, string>>; entries: Entry[] } {
  const info: Record<string, Record<string, string>> = {};
  const entries: Entry[] = [];
  for (const item of bytecode) {
    const byWheel = (info[item.cacheTag] ??= {});
    if (item.wheel in byWheel) {
      throw new PexError(`bytecode of ${item.wheel} for ${item.cacheTag} is given twice`, 'the archive build', 'pass it once');
    }
    byWheel[item.wheel] = item.sha256;
    if (!existsSync(item.path)) throw new PexError(`${item.path} does not exist`, 'the bytecode cache', 'build the archive again');
    const file = { filename: item.wheel, path: item.path, sha256: item.sha256 };
    entries.push({ name: `${CONTRACT.bytecode.dir}${item.cacheTag}/${item.wheel}`, file, size: statSync(item.path).size });
  }
  return { info, entries };
}

/** Writes the archive per docs/archive-format.md: preamble, then a deterministic zip with absolute offsets. */
export async function buildArchive(input: ArchiveInput): Promise<BuiltArchive> {
  if (existsSync(input.out) && statSync(input.out).isDirectory()) {
    throw new PexError(`${input.out} is a directory, not an archive path`, 'outputPath', 'set it to a file such as dist/tools/x/x.pex');
  }
  const runtime = readRuntime(input.runtimeDir ?? RUNTIME_DIR);
  const sources = input.sourcesDir ? readSources(input.sourcesDir) : [];
  const constraints = archiveConstraints(input.interpreterConstraints, input.environments);
  const pythons = candidateNames(constraints).join(' ');
  for (const wheel of input.wheels) {
    parseWheelName(wheel.filename);
    if (!existsSync(wheel.path)) throw new PexError(`${wheel.path} does not exist`, 'the wheel cache', 'fetch the locked wheels again');
    assertSafeWheel(wheel.path, wheel.filename);
  }
  const bytecode = bytecodeEntries(input.bytecode ?? []);
  const bootstrap = [...runtime.bootstrap, ...runtimePycs(runtime, input.runtimeBytecode)];
  const { json, pexHash } = buildPexInfo({
    requirements: input.requirements,
    wheels: input.wheels,
    bytecode: bytecode.info,
    entryPoint: input.entryPoint,
    script: input.script,
    interpreterConstraints: constraints,
    environments: input.environments,
    codeHash: codeHash(sources),
    bootstrapHash: codeHash(bootstrap.map((file) => ({ path: file.name, data: file.data }))),
    buildProperties: input.buildProperties ?? {},
    venvBinPath: input.venvBinPath,
    stripPexEnv: input.stripPexEnv,
  });

  const values = templateValues(pexHash, pythons);
  const entries: Entry[] = [
    ...bootstrap,
    ...input.wheels.map((wheel) => ({ name: `.deps/${wheel.filename}`, file: wheel, size: statSync(wheel.path).size })),
    ...bytecode.entries,
    { name: 'PEX-INFO', data: Buffer.from(json) },
    { name: '__main__.py', data: Buffer.from(render(runtime.main, values.main, '__main__.py')) },
    ...sources.map((file) => ({ name: file.path, data: file.data })),
  ];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const preamble = Buffer.from(render(runtime.preamble, values.preamble, 'preamble.sh'));
  const total = preamble.length + entries.reduce((n, e) => n + ('data' in e ? e.data.length : e.size), 0);
  const zip64 = total > ZIP64_THRESHOLD;

  const zipfile = new ZipFile();
  // yazl's output is a PassThrough; the typings only say readable.
  const output = zipfile.outputStream as PassThrough;
  const common = { mtime: DOS_EPOCH, mode: FILE_MODE, forceDosTimestamp: true, forceZip64Format: zip64 };
  for (const entry of entries) {
    if ('data' in entry) {
      zipfile.addBuffer(entry.data, entry.name, { ...common, compress: true });
    } else {
      // Wheels (and bytecode zips) are stored, not recompressed: byte copies, and the runtime reads them in place.
      zipfile.addReadStreamLazy(entry.name, { ...common, compress: false, size: entry.size }, (give) => {
        const check = verifyingSha256(entry.file.sha256, entry.file.path, 'delete it (a corrupt cache entry is made again) and rebuild');
        pipelineCallback(createReadStream(entry.file.path), check, (err) => {
          if (err) output.destroy(err);
        });
        give(null, check);
      });
    }
  }
  zipfile.on('error', (err: Error) => output.destroy(err));
  zipfile.end({ forceZip64Format: zip64, comment: '' });

  const { temp, stream } = tempWriteStream(input.out);
  try {
    stream.write(preamble);
    await pipeline(output, stream);
    makeOffsetsAbsolute(temp, preamble.length);
    chmodSync(temp, 0o755);
    renameSync(temp, input.out);
  } finally {
    rmSync(temp, { force: true });
  }
  return { path: input.out, pexHash, size: statSync(input.out).size };
}
