import { ZipFile } from 'yazl';
import { CENTRAL, centralEntries, dataStart, findEnd, LOCAL, readZip64End, ZipFormatError } from './zip';

async function zipOf(files: Record<string, string>, options: { comment?: string; zip64?: boolean } = {}): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, data] of Object.entries(files)) {
    zip.addBuffer(Buffer.from(data), name, {
      mtime: new Date(1980, 0, 1),
      mode: 0o100755,
      compress: false,
      forceZip64Format: !!options.zip64,
    });
  }
  zip.end({ comment: options.comment ?? '', forceZip64Format: !!options.zip64 });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const reader = (buf: Buffer) => (offset: number, length: number) => buf.subarray(offset, offset + length);

describe('zip reader', () => {
  it('lists the central directory: names, sizes, modes, and where each entry data starts', async () => {
    const buf = await zipOf({ 'a.txt': 'alpha', 'dir/b.txt': 'bee' }, { comment: 'a comment' });
    const end = findEnd(reader(buf), buf.length);
    expect(end.entries).toBe(2);
    expect(end.zip64Locator).toBeUndefined();
    const entries = centralEntries(buf.subarray(end.directoryOffset, end.directoryOffset + end.directorySize));
    expect(entries.map((e) => [e.name, e.method, e.compressedSize, e.unixMode])).toEqual([
      ['a.txt', 0, 5, 0o100755],
      ['dir/b.txt', 0, 3, 0o100755],
    ]);
    expect(buf.toString('utf8', dataStart(buf, entries[1]), dataStart(buf, entries[1]) + 3)).toBe('bee');
    expect(buf.readUInt32LE(entries[0].localHeaderOffset)).toBe(LOCAL.signature);
  });

  it('follows the zip64 records', async () => {
    const buf = await zipOf({ 'a.txt': 'alpha' }, { zip64: true });
    const end = findEnd(reader(buf), buf.length);
    expect(end.zip64Locator).toBeDefined();
    const zip64 = readZip64End(reader(buf), Number(end.zip64Locator!.record.readBigUInt64LE(8)));
    expect(centralEntries(buf.subarray(zip64.directoryOffset, zip64.directoryOffset + zip64.directorySize)).map((e) => e.name)).toEqual([
      'a.txt',
    ]);
  });

  it('reports damage as a ZipFormatError', async () => {
    const buf = await zipOf({ 'a.txt': 'alpha' });
    expect(() => findEnd(reader(buf.subarray(0, 40)), 40)).toThrow(new ZipFormatError('no end of central directory'));
    const end = findEnd(reader(buf), buf.length);
    const directory = Buffer.from(buf.subarray(end.directoryOffset, end.directoryOffset + end.directorySize));
    directory.writeUInt16LE(0xffff, CENTRAL.nameLength);
    expect(() => centralEntries(directory)).toThrow('corrupt central directory');
    expect(() => readZip64End(reader(buf), 0)).toThrow(ZipFormatError);
    const [entry] = centralEntries(buf.subarray(end.directoryOffset, end.directoryOffset + end.directorySize));
    expect(() => dataStart(buf, { ...entry, localHeaderOffset: 3 })).toThrow('no local header for a.txt');
  });
});
