import { CONTRACT, ERROR_LINE } from './contract';
import { PexError } from './errors';
import { formatError } from './report';

describe('PexError(what, where, fix)', () => {
  it('reads `<what>, <where>: <fix>`, keeping the three parts', () => {
    const error = new PexError('tools/x does not exist', 'the sources option', 'create it, or fix the option');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PexError');
    expect(error.message).toBe('tools/x does not exist, the sources option: create it, or fix the option');
    expect([error.what, error.where, error.fix]).toEqual(['tools/x does not exist', 'the sources option', 'create it, or fix the option']);
  });

  it('is one line, whatever line breaks the parts carry', () => {
    const error = new PexError('pip failed:\n  no matching distribution\n', ' requirements.txt:2 ', 'check\nthe name');
    expect(error.message).toBe('pip failed: no matching distribution, requirements.txt:2: check the name');
    expect(error.where).toBe('requirements.txt:2');
  });

  it("prints as the contract's error line, the parts coming back out of it in order", () => {
    const error = new PexError("entry point 'x:main' names module 'x' that no wheel provides", 'tools/t/pylock.toml', 'fix it');
    const line = formatError(error);
    expect(line).toBe("pex: entry point 'x:main' names module 'x' that no wheel provides, tools/t/pylock.toml: fix it");
    expect(ERROR_LINE.source).toBe(CONTRACT.errorLine);
    expect(ERROR_LINE.exec(line)?.slice(1)).toEqual([error.what, error.where, error.fix]);
  });

  it('the error shape refuses lines that lack a part', () => {
    for (const line of [
      'pex: something failed',
      'pex: x: fix it',
      'pex: , where: fix',
      'pex: what, : fix',
      'pex: what, where: ',
      'x, y: z',
    ]) {
      expect(ERROR_LINE.test(line)).toBe(false);
    }
  });
});
