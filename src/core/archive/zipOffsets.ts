import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_EXTRA = 0x0001;
const MAX32 = 0xffffffff;

function read(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  if (readSync(fd, buf, 0, length, position) !== length) throw new Error(`zip: short read at ${position}`);
  return buf;
}

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
  try {
    const size = fstatSync(fd).size;
    const tailStart = Math.max(0, size - (22 + 0xffff));
    const tail = read(fd, tailStart, size - tailStart);
    let at = tail.length - 22;
    while (at >= 0 && !(tail.readUInt32LE(at) === EOCD && at + 22 + tail.readUInt16LE(at + 20) === tail.length)) at--;
    if (at < 0) throw new Error('zip: no end of central directory record');
    const eocd = tail.subarray(at, at + 22);
    const eocdPosition = tailStart + at;

    let cdSize = eocd.readUInt32LE(12);
    let cdOffset = eocd.readUInt32LE(16);
    if (eocdPosition >= 20 && read(fd, eocdPosition - 20, 4).readUInt32LE(0) === ZIP64_LOCATOR) {
      const locator = read(fd, eocdPosition - 20, 20);
      const recordPosition = Number(locator.readBigUInt64LE(8)) + prefixLength;
      shift64(locator, 8, prefixLength);
      writeSync(fd, locator, 0, 20, eocdPosition - 20);
      const record = read(fd, recordPosition, 56);
      if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('zip: bad zip64 end of central directory record');
      cdSize = Number(record.readBigUInt64LE(40));
      cdOffset = Number(record.readBigUInt64LE(48));
      shift64(record, 48, prefixLength);
      writeSync(fd, record, 0, 56, recordPosition);
    }
    if (eocd.readUInt32LE(16) !== MAX32) shift32(eocd, 16, prefixLength);
    writeSync(fd, eocd, 0, 22, eocdPosition);

    const cd = read(fd, cdOffset + prefixLength, cdSize);
    for (let p = 0; p < cd.length; ) {
      if (cd.readUInt32LE(p) !== CENTRAL_HEADER) throw new Error(`zip: bad central directory entry at ${p}`);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      if (cd.readUInt32LE(p + 42) !== MAX32) {
        shift32(cd, p + 42, prefixLength);
      } else {
        // The zip64 extra holds, in order, only the fields saturated in the fixed header.
        const extraStart = p + 46 + nameLength;
        let e = extraStart;
        while (e < extraStart + extraLength && cd.readUInt16LE(e) !== ZIP64_EXTRA) e += 4 + cd.readUInt16LE(e + 2);
        if (e >= extraStart + extraLength) throw new Error('zip: zip64 entry without a zip64 extra field');
        const skipped = (cd.readUInt32LE(p + 24) === MAX32 ? 8 : 0) + (cd.readUInt32LE(p + 20) === MAX32 ? 8 : 0);
        shift64(cd, e + 4 + skipped, prefixLength);
      }
      p += 46 + nameLength + extraLength + commentLength;
    }
    writeSync(fd, cd, 0, cd.length, cdOffset + prefixLength);
  } finally {
    closeSync(fd);
  }
}
