import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import {
  CentralEntry,
  centralEntries,
  CONTRACT,
  dataStart,
  findEnd,
  isUnsafeEntry,
  MAX16,
  MAX32,
  PexError,
  ReadAt,
  ZipFormatError,
} from '../common';

/** What a wheel puts in the venv's bin/: console/gui scripts (name -> `module:func`) and `.data/scripts` files. */
export interface WheelScripts {
  entryPoints: Record<string, string>;
  dataScripts: string[];
}

const corrupt = (file: string, why: string) =>
  new PexError(`not a zip file or damaged (${why})`, file, 're-download it or rebuild the wheel');

/**
 * Lists the central directory. Every offset the file states is checked by the zip reader,
 * so damage is a PexError, never a RangeError.
 */
function listMembers(read: ReadAt, size: number, file: string): CentralEntry[] {
  try {
    const end = findEnd(read, size);
    if (end.directoryOffset === MAX32 || end.entries === MAX16) throw corrupt(file, 'zip64 wheels are not supported');
    if (end.directoryOffset + end.directorySize > end.position) throw corrupt(file, 'the central directory is out of bounds');
    return centralEntries(read(end.directoryOffset, end.directorySize));
  } catch (err) {
    if (err instanceof ZipFormatError) throw corrupt(file, err.message);
    throw err;
  }
}

function readMember(buf: Buffer, member: CentralEntry, file: string): Buffer {
  let start: number;
  try {
    start = dataStart(buf, member);
  } catch (err) {
    if (err instanceof ZipFormatError) throw corrupt(file, err.message);
    throw err;
  }
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

/**
 * Refuses a wheel with an entry that could land outside the venv, by the contract's rule
 * (an absolute path, a `..` part, a backslash (a separator on Windows) or a symlink). Reads only the zip's tail, so
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
      if (isUnsafeEntry(member.name, member.unixMode)) {
        throw new PexError(
          `the wheel has the unsafe entry '${member.name}' (${CONTRACT.unsafeEntry.says})`,
          name,
          'use a wheel without it (nothing was written)',
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
      if (eq > 0)
        scripts[line.slice(0, eq).trim()] = line
          .slice(eq + 1)
          .split('[')[0]
          .trim();
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
    dataScripts: members.map((m) => /^[^/]+\.data\/scripts\/([^/]+)$/.exec(m.name)?.[1]).filter((name): name is string => !!name),
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
