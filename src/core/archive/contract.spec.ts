import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONTRACT, isReservedEntry, isUnsafeEntry, venvsSubdir } from '../common';
import { candidateNames, PLATFORMS } from '../python';
import { render, templateValues } from './archive';

const runtime = path.join(__dirname, '../../runtime');

describe('the archive contract', () => {
  it('renders into the shipped templates, every token used and none left', () => {
    const values = templateValues('0123456789abcdef'.repeat(2) + '01234567', candidateNames([]).join(' '));
    const preamble = render(readFileSync(path.join(runtime, 'preamble.sh'), 'utf8'), values.preamble, 'preamble.sh');
    const main = render(readFileSync(path.join(runtime, '__main__.py'), 'utf8'), values.main, '__main__.py');
    expect(preamble).toContain(`case "${CONTRACT.overrides.map((name) => `\${${name}-}`).join('')}" in`);
    expect(preamble).toContain('/nx1/0123456789abcdef/sh\n');
    expect(main).toContain('VENVS = "nx1/0123456789abcdef"');
  });

  it('lays venvs out as nx1/<pex_hash[:16]>', () => {
    expect(venvsSubdir('da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBe('nx1/da39a3ee5e6b4b0d');
  });

  it('reserves the entries the archive writes itself, and only those', () => {
    for (const name of ['PEX-INFO', '__main__.py', '.bootstrap/pexnx/boot.py', '.deps/x-1-py3-none-any.whl']) {
      expect(isReservedEntry(name)).toBe(true);
    }
    for (const name of ['PEX-INFO.txt', 'tool/__main__.py', '.bootstrapped/x.py', 'deps/y.py']) expect(isReservedEntry(name)).toBe(false);
  });

  it('calls an entry unsafe when absolute, with a .. part, a backslash, or a symlink', () => {
    for (const name of ['/etc/passwd', '../x', 'a/../../x', 'a\\..\\x']) expect(isUnsafeEntry(name, 0o100644)).toBe(true);
    expect(isUnsafeEntry('a/link', 0o120777)).toBe(true);
    for (const name of ['a/..dots../x', 'a/b.py', 'a/...']) expect(isUnsafeEntry(name, 0o100644)).toBe(false);
  });

  it('names the platforms the locks know', () => {
    expect([...PLATFORMS]).toEqual(CONTRACT.platforms);
  });

  it('bounds the interpreter names by its CPython minors', () => {
    const { oldest, newest } = CONTRACT.cpythonMinors;
    const names = candidateNames(['>=3.0']);
    expect(names[1]).toBe(`python3.${newest}`);
    expect(names[names.length - 2]).toBe(`python3.${oldest}`);
    expect(names).toHaveLength(newest - oldest + 3);
  });
});
