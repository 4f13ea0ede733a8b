import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { PexError } from '../common';

/** What a wheel puts in the venv's bin/: console/gui scripts (name -> `module:func`) and `.data/scripts` files. */
export interface WheelScripts {
  entryPoints: Record<string, string>;
  dataScripts: string[];
}

interface ZipMember {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
  /** The high 16 bits of the external attributes: a Unix mode when the zip was made on Unix. */
  unixMode: number;
}

const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const EOCD_SIZE = 22;
// The end record sits in the last 22 bytes plus a comment of at most 65535.
const TAIL = EOCD_SIZE + 0xffff;

const corrupt = (file: string, why: string) =>
  new PexError(`${file} is not a zip file or is damaged (${why}): re-download it or rebuild the wheel`);

/**
 * Lists the central directory. `read(offset, length)` gives bytes of the file (fewer at its
 * end); every offset the file states is checked, so damage is a PexError, never a RangeError.
 */
function listMembers(read: (offset: number, length: number) => Buffer, size: number, file: string): ZipMember[] {
  const tailStart = Math.max(0, size - TAIL);
  const tail = read(tailStart, size - tailStart);
  const eocd = tail.lastIndexOf(EOCD);
  if (eocd < 0 || eocd + EOCD_SIZE > tail.length) throw corrupt(file, 'no end of central directory');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw corrupt(file, 'zip64 wheels are not supported');
  if (cdOffset + cdSize > tailStart + eocd) throw corrupt(file, 'the central directory is out of bounds');
  const cd = read(cdOffset, cdSize);
  const members: ZipMember[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== 0x02014b50) throw corrupt(file, 'corrupt central directory');
    const nameLength = cd.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + cd.readUInt16LE(at + 30) + cd.readUInt16LE(at + 32);
    if (next > cd.length) throw corrupt(file, 'corrupt central directory');
    members.push({
      name: cd.toString('utf8', at + 46, at + 46 + nameLength),
      method: cd.readUInt16LE(at + 10),
      compressedSize: cd.readUInt32LE(at + 20),
      localHeaderOffset: cd.readUInt32LE(at + 42),
      unixMode: cd.readUInt32LE(at + 38) >>> 16,
    });
    at = next;
  }
  return members;
}

function readMember(buf: Buffer, member: ZipMember, file: string): Buffer {
  const at = member.localHeaderOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== 0x04034b50) throw corrupt(file, `no local header for ${member.name}`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  if (start + member.compressedSize > buf.length) throw corrupt(file, `${member.name} is truncated`);
  const data = buf.subarray(start, start + member.compressedSize);
  if (member.method === 0) return data;
  if (member.method !== 8) throw corrupt(file, `${member.name} uses compression method ${member.method}`);
  try {
    return inflateRawSync(data);
  } catch (err) {
    throw corrupt(file, `${member.name}: ${(err as Error).message}`);
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * Refuses a wheel with an entry that could land outside the venv: an absolute path, a `..`
 * part, a backslash (a separator on Windows) or a symlink. Reads only the zip's tail, so
 * checking a large wheel costs little.
 */
export function assertSafeWheel(wheelPath: string, name = wheelPath): void {
  const fd = openSync(wheelPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, offset) : 0;
      return buf.subarray(0, n);
    };
    for (const member of listMembers(read, size, name)) {
      const parts = member.name.split('/');
      if (member.name.startsWith('/') || member.name.includes('\\') || parts.includes('..') || (member.unixMode & S_IFMT) === S_IFLNK) {
        throw new PexError(
          `${name} contains the unsafe entry '${member.name}' (absolute, '..', a backslash or a symlink): use a wheel without it; nothing was written`,
        );
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Parses the `[console_scripts]` and `[gui_scripts]` sections of entry_points.txt. */
export function parseEntryPoints(text: string): Record<string, string> {
  const scripts: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
    } else if (section === 'console_scripts' || section === 'gui_scripts') {
      const eq = line.indexOf('=');
      if (eq > 0) scripts[line.slice(0, eq).trim()] = line.slice(eq + 1).split('[')[0].trim();
    }
  }
  return scripts;
}

export function readWheelScripts(wheelPath: string): WheelScripts {
  const buf = readFileSync(wheelPath);
  const members = listMembers((offset, length) => buf.subarray(offset, offset + length), buf.length, wheelPath);
  const entryPointsFile = members.find((m) => /^[^/]+\.dist-info\/entry_points\.txt$/.test(m.name));
  return {
    entryPoints: entryPointsFile ? parseEntryPoints(readMember(buf, entryPointsFile, wheelPath).toString('utf8')) : {},
    dataScripts: members
      .map((m) => /^[^/]+\.data\/scripts\/([^/]+)$/.exec(m.name)?.[1])
      .filter((name): name is string => !!name),
  };
}

/** The names of a wheel's entries, from its zip's central directory. */
export function wheelEntries(wheelPath: string): string[] {
  const buf = readFileSync(wheelPath);
  return listMembers((offset, length) => buf.subarray(offset, offset + length), buf.length, wheelPath).map((m) => m.name);
}

/** Every script name the wheels install into bin/, sorted. */
export function availableScripts(wheelPaths: string[]): string[] {
  const names = new Set<string>();
  for (const wheel of wheelPaths) {
    const { entryPoints, dataScripts } = readWheelScripts(wheel);
    Object.keys(entryPoints).forEach((n) => names.add(n));
    dataScripts.forEach((n) => names.add(n));
  }
  return [...names].sort();
}
