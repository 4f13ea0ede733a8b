import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, openSync, renameSync, rmSync, WriteStream, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A sibling temp name: same directory, so the final rename is atomic. */
function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes through a temp file and a rename: readers see the old content or the new, never a part. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = tempPathFor(file);
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * A stream into a new temp file beside `file`. The file is created before this returns (not
 * on a later tick), so removing the temp path after a failure cannot race its creation.
 */
export function tempWriteStream(file: string): { temp: string; stream: WriteStream } {
  mkdirSync(dirname(file), { recursive: true });
  const temp = tempPathFor(file);
  return { temp, stream: createWriteStream(temp, { fd: openSync(temp, 'wx') }) };
}
