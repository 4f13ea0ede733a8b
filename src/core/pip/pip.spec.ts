import { pipProblemLine } from './pip';

// pip's stderr in the three shapes it takes; the user sees one line of it.
describe('pipProblemLine', () => {
  it("takes pip's first ERROR line, without credentials", () => {
    const stderr =
      'WARNING: x\nERROR: Could not find a version that satisfies the requirement b (from versions: none) at ' +
      'https://u:p@host/\nERROR: No matching distribution found for b\n';
    expect(pipProblemLine(stderr)).toBe('Could not find a version that satisfies the requirement b (from versions: none) at https://host/');
  });

  it("names a build backend's failure by the last line of the output pip quotes", () => {
    const stderr = [
      '  error: subprocess-exited-with-error',
      '  × Preparing metadata (pyproject.toml) did not run successfully.',
      '  ╰─> [3 lines of output]',
      '      Traceback (most recent call last):',
      '      RuntimeError: the compiler is missing',
      '      [end of output]',
      'error: metadata-generation-failed',
      'hint: See above for details.',
    ].join('\n');
    expect(pipProblemLine(stderr)).toBe('metadata-generation-failed: RuntimeError: the compiler is missing');
  });

  it('names the exception when pip itself crashed', () => {
    const stderr = 'ERROR: Exception:\nTraceback (most recent call last):\n  File "x", line 1\ntarfile.ReadError: not a gzip file\n';
    expect(pipProblemLine(stderr)).toBe('tarfile.ReadError: not a gzip file');
  });
});

describe('pipProblemLine and terminal escapes', () => {
  it("gives pip's reason, not the colour reset pip's rich output ends with", () => {
    const stderr = '\x1b[31mERROR: HTTP error 404 while getting https://host/black-23.1.0-py3-none-any.whl\x1b[0m\n\x1b[0m\n';
    expect(pipProblemLine(stderr)).toBe('HTTP error 404 while getting https://host/black-23.1.0-py3-none-any.whl');
  });

  it('strips escapes from the last line too', () => {
    expect(pipProblemLine('Traceback (most recent call last):\n\x1b[1mOSError: [Errno 28] No space left on device\x1b[0m\n')).toBe(
      'OSError: [Errno 28] No space left on device',
    );
  });
});
