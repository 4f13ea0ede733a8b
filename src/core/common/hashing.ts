import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { PexError } from './errors';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The one message for a file (a path or URL) whose bytes are not the locked ones. */
export function sha256Mismatch(file: string, expected: string, actual: string, fix: string): PexError {
  return new PexError(`the sha256 is ${actual} where the lock expects ${expected}`, file, fix);
}

/** Passes bytes through while hashing them; at the end it fails with a mismatch unless they hash to `expected`. */
export function verifyingSha256(expected: string, file: string, fix: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const actual = hash.digest('hex');
      done(actual === expected ? null : sha256Mismatch(file, expected, actual, fix));
    },
  });
}
