import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, openSync, renameSync, rmSync, WriteStream, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PexError } from './errors';

const REASONS: Record<string, string> = {
  ENOTDIR: 'a parent is a file',
  EEXIST: 'a parent is a file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/** A file-system error on the way to `file` as one line naming the file; other errors pass unchanged. */
function cannotWrite(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code || e instanceof PexError) return e;
  return new PexError(`cannot write the file (${REASONS[code] ?? (e as Error).message})`, file, 'fix that or choose another path');
}

/** A sibling temp name: same directory, so the final rename is atomic. */
function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function makeParent(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    throw cannotWrite(file, e);
  }
}

/** Writes through a temp file and a rename: readers see the old content or the new, never a part. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  makeParent(file);
  const temp = tempPathFor(file);
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (e) {
    throw cannotWrite(file, e);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * A stream into a new temp file beside `file`. The file is created before this returns (not
 * on a later tick), so removing the temp path after a failure cannot race its creation.
 */
export function tempWriteStream(file: string): { temp: string; stream: WriteStream } {
  makeParent(file);
  const temp = tempPathFor(file);
  try {
    return { temp, stream: createWriteStream(temp, { fd: openSync(temp, 'wx') }) };
  } catch (e) {
    throw cannotWrite(file, e);
  }
}
