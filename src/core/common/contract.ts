import contractJson from '../../runtime/pexnx/contract.json';

/**
 * The archive contract between this builder and the Python runtime (docs/archive-format.md),
 * read from the JSON file the runtime ships and reads too, so the two sides cannot drift.
 */
export interface ArchiveContract {
  /** Zip entries the archive writes itself: user sources may not take these names. */
  reserved: { files: string[]; dirs: string[] };
  /** Bytecode zips are `<dir><cache tag>/<wheel file name>`; a cache tag matches the `cacheTag` regex source. */
  bytecode: { dir: string; cacheTag: string };
  /** Venvs live in `<PEX_ROOT>/<dir>/<pex_hash[:hashChars]>/`. */
  venvs: { dir: string; hashChars: number };
  /** Environment variables that send a run past the warm path. */
  overrides: string[];
  /** The CPython 3 minors the interpreter search and `@PYTHONS@` consider. */
  cpythonMinors: { oldest: number; newest: number };
  /** The platforms a lock and an archive know (environments.ts PLATFORMS, tags.py's table; their specs hold them to this). */
  platforms: string[];
  /** What makes a zip entry unsafe to install (on both sides), and how errors say it. */
  unsafeEntry: { absolute: boolean; parts: string[]; chars: string[]; symlink: boolean; says: string };
  /** A regex source: the shape of every error line both sides print, `pex: <what>, <where>: <fix>`. */
  errorLine: string;
}

export const CONTRACT: ArchiveContract = contractJson;

/** The shape of an error line (colour removed); its groups are what, where and fix. */
export const ERROR_LINE = new RegExp(CONTRACT.errorLine);

/** `nx1/<first 16 hex of pex_hash>`: the venvs dir of one archive under PEX_ROOT. */
export function venvsSubdir(pexHash: string): string {
  return `${CONTRACT.venvs.dir}/${pexHash.slice(0, CONTRACT.venvs.hashChars)}`;
}

/** Whether a user source path would take a name the archive writes itself. */
export function isReservedEntry(name: string): boolean {
  return CONTRACT.reserved.files.includes(name) || CONTRACT.reserved.dirs.some((dir) => name.startsWith(dir));
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Whether a zip entry could land outside the dir it is installed into (`unixMode`: the high 16 bits of its external attributes). */
export function isUnsafeEntry(name: string, unixMode: number): boolean {
  const rule = CONTRACT.unsafeEntry;
  return (
    (rule.absolute && name.startsWith('/')) ||
    name.split('/').some((part) => rule.parts.includes(part)) ||
    rule.chars.some((c) => name.includes(c)) ||
    (rule.symlink && (unixMode & S_IFMT) === S_IFLNK)
  );
}
