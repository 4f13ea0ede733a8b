/**
 * The zip records this package reads (PKWARE APPNOTE 4.3), as named field offsets, and a
 * reader of the end records and the central directory that checks every offset it follows.
 * Both the wheel reader and the archive's offset fix-up walk zips through this module.
 */

export const END = { signature: 0x06054b50, length: 22, entries: 10, directorySize: 12, directoryOffset: 16, commentLength: 20 } as const;
export const ZIP64_LOCATOR = { signature: 0x07064b50, length: 20, recordOffset: 8 } as const;
export const ZIP64_END = { signature: 0x06064b50, length: 56, entries: 32, directorySize: 40, directoryOffset: 48 } as const;
export const CENTRAL = {
  signature: 0x02014b50,
  length: 46,
  method: 10,
  compressedSize: 20,
  uncompressedSize: 24,
  nameLength: 28,
  extraLength: 30,
  commentLength: 32,
  externalAttributes: 38,
  localHeaderOffset: 42,
} as const;
export const LOCAL = { signature: 0x04034b50, length: 30, nameLength: 26, extraLength: 28 } as const;
export const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit field holding this defers to the zip64 records. */
export const MAX32 = 0xffffffff;
export const MAX16 = 0xffff;

/** A zip that is not one, or is damaged; callers turn it into their own error. */
export class ZipFormatError extends Error {}

/** Bytes [offset, offset + length) of the file; fewer at its end. */
export type ReadAt = (offset: number, length: number) => Buffer;

export interface EndOfDirectory {
  /** Where the end record starts in the file, and its bytes. */
  position: number;
  record: Buffer;
  entries: number;
  directorySize: number;
  directoryOffset: number;
  /** The zip64 end locator just before the end record, when there is one. */
  zip64Locator?: { position: number; record: Buffer };
}

/** Finds the end of central directory record: the last one whose comment fits in the file. */
export function findEnd(read: ReadAt, size: number): EndOfDirectory {
  const tailStart = Math.max(0, size - (END.length + MAX16));
  const tail = read(tailStart, size - tailStart);
  for (let at = tail.length - END.length; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== END.signature || at + END.length + tail.readUInt16LE(at + END.commentLength) > tail.length) continue;
    const record = Buffer.from(tail.subarray(at, at + END.length));
    const position = tailStart + at;
    const end: EndOfDirectory = {
      position,
      record,
      entries: record.readUInt16LE(END.entries),
      directorySize: record.readUInt32LE(END.directorySize),
      directoryOffset: record.readUInt32LE(END.directoryOffset),
    };
    if (position >= ZIP64_LOCATOR.length) {
      const locator = read(position - ZIP64_LOCATOR.length, ZIP64_LOCATOR.length);
      if (locator.length === ZIP64_LOCATOR.length && locator.readUInt32LE(0) === ZIP64_LOCATOR.signature) {
        end.zip64Locator = { position: position - ZIP64_LOCATOR.length, record: Buffer.from(locator) };
      }
    }
    return end;
  }
  throw new ZipFormatError('no end of central directory');
}

/** Reads the zip64 end record at `position` (where its locator points, plus any prefix). */
export function readZip64End(read: ReadAt, position: number): { record: Buffer; directorySize: number; directoryOffset: number } {
  const record = Buffer.from(read(position, ZIP64_END.length));
  if (record.length !== ZIP64_END.length || record.readUInt32LE(0) !== ZIP64_END.signature) {
    throw new ZipFormatError('bad zip64 end of central directory record');
  }
  return {
    record,
    directorySize: Number(record.readBigUInt64LE(ZIP64_END.directorySize)),
    directoryOffset: Number(record.readBigUInt64LE(ZIP64_END.directoryOffset)),
  };
}

export interface CentralEntry {
  /** Where this entry starts in the central directory buffer. */
  at: number;
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** The high 16 bits of the external attributes: a Unix mode when the zip was made on Unix. */
  unixMode: number;
  /** [start, end) of the extra field in the central directory buffer. */
  extra: [number, number];
}

/** The entries of a central directory held in `directory`, each checked to fit in it. */
export function centralEntries(directory: Buffer): CentralEntry[] {
  const entries: CentralEntry[] = [];
  for (let at = 0; at < directory.length;) {
    if (at + CENTRAL.length > directory.length || directory.readUInt32LE(at) !== CENTRAL.signature) {
      throw new ZipFormatError('corrupt central directory');
    }
    const nameLength = directory.readUInt16LE(at + CENTRAL.nameLength);
    const extraStart = at + CENTRAL.length + nameLength;
    const extraEnd = extraStart + directory.readUInt16LE(at + CENTRAL.extraLength);
    const next = extraEnd + directory.readUInt16LE(at + CENTRAL.commentLength);
    if (next > directory.length) throw new ZipFormatError('corrupt central directory');
    entries.push({
      at,
      name: directory.toString('utf8', at + CENTRAL.length, extraStart),
      method: directory.readUInt16LE(at + CENTRAL.method),
      compressedSize: directory.readUInt32LE(at + CENTRAL.compressedSize),
      uncompressedSize: directory.readUInt32LE(at + CENTRAL.uncompressedSize),
      localHeaderOffset: directory.readUInt32LE(at + CENTRAL.localHeaderOffset),
      unixMode: directory.readUInt32LE(at + CENTRAL.externalAttributes) >>> 16,
      extra: [extraStart, extraEnd],
    });
    at = next;
  }
  return entries;
}

/** Where an entry's data starts, from its local header in `file` (the whole zip). */
export function dataStart(file: Buffer, entry: CentralEntry): number {
  const at = entry.localHeaderOffset;
  if (at + LOCAL.length > file.length || file.readUInt32LE(at) !== LOCAL.signature) {
    throw new ZipFormatError(`no local header for ${entry.name}`);
  }
  return at + LOCAL.length + file.readUInt16LE(at + LOCAL.nameLength) + file.readUInt16LE(at + LOCAL.extraLength);
}
