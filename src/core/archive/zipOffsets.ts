import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { CENTRAL, centralEntries, END, findEnd, MAX32, readZip64End, ZIP64_END, ZIP64_EXTRA_ID, ZIP64_LOCATOR } from '../common';

function shift32(buf: Buffer, at: number, by: number): void {
  const shifted = buf.readUInt32LE(at) + by;
  // The writer forces zip64 when an archive could come near 4 GiB, so this cannot overflow.
  if (shifted >= MAX32) throw new Error('zip: an offset overflows 32 bits after the preamble; zip64 was needed');
  buf.writeUInt32LE(shifted, at);
}

function shift64(buf: Buffer, at: number, by: number): void {
  buf.writeBigUInt64LE(buf.readBigUInt64LE(at) + BigInt(by), at);
}

/**
 * The zip was written after `prefixLength` bytes of preamble with offsets counted from its
 * own start; make every offset absolute (central directory entries, end records, zip64
 * records), so readers need no "extra bytes at beginning" fix-up.
 */
export function makeOffsetsAbsolute(file: string, prefixLength: number): void {
  const fd = openSync(file, 'r+');
  const read = (position: number, length: number) => {
    const buf = Buffer.alloc(length);
    if (readSync(fd, buf, 0, length, position) !== length) throw new Error(`zip: short read at ${position}`);
    return buf;
  };
  try {
    const end = findEnd(read, fstatSync(fd).size);
    let { directorySize, directoryOffset } = end;
    if (end.zip64Locator) {
      const { position, record: locator } = end.zip64Locator;
      const recordPosition = Number(locator.readBigUInt64LE(ZIP64_LOCATOR.recordOffset)) + prefixLength;
      shift64(locator, ZIP64_LOCATOR.recordOffset, prefixLength);
      writeSync(fd, locator, 0, locator.length, position);
      const zip64 = readZip64End(read, recordPosition);
      ({ directorySize, directoryOffset } = zip64);
      shift64(zip64.record, ZIP64_END.directoryOffset, prefixLength);
      writeSync(fd, zip64.record, 0, zip64.record.length, recordPosition);
    }
    if (end.directoryOffset !== MAX32) shift32(end.record, END.directoryOffset, prefixLength);
    writeSync(fd, end.record, 0, end.record.length, end.position);

    const directory = read(directoryOffset + prefixLength, directorySize);
    for (const entry of centralEntries(directory)) {
      if (entry.localHeaderOffset !== MAX32) {
        shift32(directory, entry.at + CENTRAL.localHeaderOffset, prefixLength);
        continue;
      }
      // The zip64 extra holds, in order, only the fields saturated in the fixed header.
      let e = entry.extra[0];
      while (e < entry.extra[1] && directory.readUInt16LE(e) !== ZIP64_EXTRA_ID) e += 4 + directory.readUInt16LE(e + 2);
      if (e >= entry.extra[1]) throw new Error('zip: zip64 entry without a zip64 extra field');
      const skipped = (entry.uncompressedSize === MAX32 ? 8 : 0) + (entry.compressedSize === MAX32 ? 8 : 0);
      shift64(directory, e + 4 + skipped, prefixLength);
    }
    writeSync(fd, directory, 0, directory.length, directoryOffset + prefixLength);
  } finally {
    closeSync(fd);
  }
}
