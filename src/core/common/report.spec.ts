import { ERROR_LINE } from './contract';
import { PexError } from './errors';
import { createReporter, formatBytes, formatError, stripAnsi } from './report';

function stream(isTTY: boolean) {
  const out = { text: '', isTTY, write: (t: string) => void (out.text += t) };
  return out;
}

describe('createReporter', () => {
  it('prints plain lines off a terminal: `[pex] ` information, `pex: ` errors, no escape codes', () => {
    const s = stream(false);
    const report = createReporter(s, {});
    report.info('wrote dist/x.pex');
    report.error(new PexError('black exited with code 1', 'dist/black.pex', 'its output above says why'));
    expect(s.text).toBe('[pex] wrote dist/x.pex\npex: black exited with code 1, dist/black.pex: its output above says why\n');
  });

  it('colours on a terminal, and not with NO_COLOR set', () => {
    const tty = stream(true);
    const error = new PexError('x', 'y', 'z');
    createReporter(tty, {}).error(error);
    expect(tty.text).toBe('\x1b[1;31mpex:\x1b[0m x, y: z\n');
    const noColor = stream(true);
    createReporter(noColor, { NO_COLOR: '1' }).error(error);
    expect(noColor.text).toBe('pex: x, y: z\n');
  });

  it('prints a step once when it starts; live progress only on a terminal', () => {
    const piped = stream(false);
    const step = createReporter(piped, {}).step('downloading 2 files with pip…');
    step.update('1/2');
    step.update('2/2');
    step.done();
    expect(piped.text).toBe('[pex] downloading 2 files with pip…\n');

    const tty = stream(true);
    const live = createReporter(tty, { NO_COLOR: '1' }).step('resolving black for cp311 with pip…');
    live.update('12 distributions');
    live.update('3 x');
    live.done();
    expect(tty.text).toBe(
      '[pex] resolving black for cp311 with pip…\r[pex] resolving black for cp311 with pip… 12 distributions\r[pex] ' +
        'resolving black for cp311 with pip… 3 x             \n',
    );
  });

  it('never passes on escape codes or line breaks a message carries (from pip, from a tool)', () => {
    const s = stream(false);
    createReporter(s, {}).error(new PexError('pip could not download it: \x1b[31mHTTP 404\x1b[0m\nsecond line', 'x.whl', 'retry'));
    expect(s.text).toBe('pex: pip could not download it: HTTP 404 second line, x.whl: retry\n');
  });

  it("prints every error in the contract's error-line shape, as formatError does", () => {
    const s = stream(true);
    const errors = [
      new PexError("no script 'nosuch' in this venv", 'dist/tools/hello/hello.pex', 'use one of: greet-py, hello'),
      new PexError("'a==' is not a valid requirement ('==' is not an operator followed by a version)", 'r.txt:3', 'write it: x'),
    ];
    const report = createReporter(s, {});
    for (const e of errors) report.error(e);
    const lines = stripAnsi(s.text).split('\n').slice(0, -1);
    expect(lines).toEqual(errors.map((e) => formatError(e)));
    expect(lines.map((l) => ERROR_LINE.exec(l)?.slice(1))).toEqual(errors.map((e) => [e.what, e.where, e.fix]));
  });
});

test('stripAnsi removes colours, cursor moves and links', () => {
  expect(stripAnsi('\x1b[1m\x1b[31mpex: black\x1b[0m \x1b[2K\x1b]8;;https://x\x07link\x1b]8;;\x07')).toBe('pex: black link');
});

test('formatBytes uses decimal units, as pip prints sizes', () => {
  expect([formatBytes(999), formatBytes(320_000), formatBytes(1_400_000)]).toEqual(['999 B', '320 kB', '1.4 MB']);
});
