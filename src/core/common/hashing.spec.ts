import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PexError } from './errors';
import { verifyingSha256 } from './hashing';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });

describe('verifyingSha256', () => {
  it('passes bytes with the locked sha256', async () => {
    await expect(pipeline(Readable.from([Buffer.from('wheel')]), verifyingSha256(sha256('wheel'), 'x.whl', 'fix'), sink())).resolves.toBe(
      undefined,
    );
  });

  it('fails other bytes with one error naming the file, both hashes and the fix', async () => {
    const locked = sha256('wheel');
    const error = await pipeline(
      Readable.from([Buffer.from('tampered')]),
      verifyingSha256(locked, '/cache/x-1.0-py3-none-any.whl', 're-run the lock target'),
      sink(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect(error).toMatchObject({
      what: `the sha256 is ${sha256('tampered')} where the lock expects ${locked}`,
      where: '/cache/x-1.0-py3-none-any.whl',
      fix: 're-run the lock target',
    });
  });
});
