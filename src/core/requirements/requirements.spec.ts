import { PexError } from '../common';
import { parseRequirement, parseRequirements, requirementsHash } from './requirements';

const errorOf = (fn: () => unknown): PexError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PexError);
    return err as PexError;
  }
  throw new Error('expected a PexError');
};

describe('parseRequirement', () => {
  it('splits name, extras, specifier and marker, normalizing each', () => {
    expect(parseRequirement('Black[D, jupyter] >= 23.1 , <24 ; python_version>="3.8"')).toEqual({
      name: 'black',
      extras: ['d', 'jupyter'],
      specifier: '>=23.1,<24',
      url: null,
      marker: 'python_version >= "3.8"',
    });
    expect(parseRequirement('zope.interface').name).toBe('zope-interface');
    expect(parseRequirement('foo (>=1.0)').specifier).toBe('>=1.0');
    expect(parseRequirement('foo==1.*').specifier).toBe('==1.*');
    expect(parseRequirement('foo===weird-version').specifier).toBe('===weird-version');
  });

  it('accepts name @ url with a marker after whitespace', () => {
    expect(parseRequirement('pkg @ https://host/pkg-1.0-py3-none-any.whl ; os_name == "posix"')).toMatchObject({
      name: 'pkg',
      url: 'https://host/pkg-1.0-py3-none-any.whl',
      marker: 'os_name == "posix"',
    });
  });

  it('validates markers with and/or/parentheses and not in', () => {
    expect(parseRequirement('x; (sys_platform=="linux" or sys_platform == \'darwin\') and "win" not in platform_system').marker).toBe(
      '(sys_platform == "linux" or sys_platform == \'darwin\') and "win" not in platform_system',
    );
  });

  it.each([
    ['==1.0', 'does not start with a project name'],
    ['foo==', 'is not an operator followed by a version'],
    ['foo>=1.0.x', 'is not a PEP 440 version'],
    ['foo[bad extra]', 'is not an extra name'],
    ['foo; python_versio == "3"', 'unknown marker variable python_versio'],
    ['foo; python_version >= "3" and', 'ends too early'],
    ['foo; (os_name == "nt"', "'(' is not closed"],
    ['foo @ not-a-url', "'@' must be followed by a URL"],
  ])('rejects %s', (text, why) => {
    const error = errorOf(() => parseRequirement(text, '--requirements'));
    expect(error.what).toMatch(new RegExp(`^'${text.replace(/[[\]().*+?^$|\\]/g, '\\$&')}' is not a valid requirement \\(.*\\)$`));
    expect(error.what).toContain(why);
    expect(error.where).toBe('--requirements');
    expect(error.fix).toBe("write it like 'black==23.1.0' or 'requests[socks]>=2.28'");
  });

  it('keeps credentials out of its messages', () => {
    const message = errorOf(() => parseRequirement('pkg @ https://user:s3cret@host/x.whl garbage')).message;
    expect(message).not.toContain('s3cret');
  });
});

describe('parseRequirements', () => {
  it('handles comments, blank lines, continuations and index options', () => {
    const text = [
      '# tools',
      '',
      'black==23.1.0   # pinned',
      'click>=8 \\',
      '  ; python_version >= "3.8"',
      '--index-url https://idx.example/simple',
      '-i=https://idx2.example/simple',
      '--extra-index-url https://extra.example/simple',
      '-f ./wheels',
      '--find-links=https://links.example/',
      '--no-index',
      'pkg @ https://host/pkg-1.0-py3-none-any.whl#sha256=abc',
    ].join('\n');
    expect(parseRequirements(text, 'tools/x/requirements.txt')).toEqual({
      requirements: ['black==23.1.0', 'click>=8; python_version >= "3.8"', 'pkg @ https://host/pkg-1.0-py3-none-any.whl#sha256=abc'],
      pipOptions: [
        '--index-url https://idx.example/simple',
        '--index-url https://idx2.example/simple',
        '--extra-index-url https://extra.example/simple',
        '--find-links ./wheels',
        '--find-links https://links.example/',
        '--no-index',
      ],
    });
  });

  it.each([
    ['black\n-r other.txt\n', 2, 'includes (-r) are not supported', 'list the requirements in this file'],
    ['-e ./src\n', 1, 'editable requirements (-e) cannot go into an archive', 'require a released version or a wheel'],
    ['--pre\n', 1, "unknown option '--pre'", 'only --index-url, --extra-index-url, --find-links and --no-index are supported here'],
    ['\n\nfoo==\n', 3, "'foo==' is not a valid requirement", "write it like 'black==23.1.0' or 'requests[socks]>=2.28'"],
    ['a \\\n  ==1 \\\n  garbage!\nb\n', 1, 'is not a valid requirement', "write it like 'black==23.1.0'"],
    ['black --hash=sha256:00\n', 1, "per-requirement options like '--hash' are not supported", 'remove it'],
    ['--no-index https://x\n', 1, "--no-index takes no value (got 'https://x')", 'remove the value'],
    ['--index-url\n', 1, '--index-url takes exactly one value', 'write it as --index-url <value>'],
  ])('rejects %j at line %i', (text, line, what, fix) => {
    const error = errorOf(() => parseRequirements(text, 'req.txt'));
    expect(error.what).toContain(what);
    expect(error.where).toBe(`req.txt:${line}`);
    expect(error.fix).toContain(fix);
    expect(error.message).toContain(`, req.txt:${line}: `);
    expect(error.message).not.toContain('\n');
  });

  it('strips credentials from error messages', () => {
    const message = errorOf(() => parseRequirements('--index-url https://me:tok@host/simple extra\n', 'r.txt')).message;
    expect(message).not.toContain('tok');
  });
});

describe('requirementsHash', () => {
  const base = parseRequirements('black==23.1.0\nclick>=8\n--index-url https://host/simple\n', 'r');

  it('ignores order of requirements, spelling and comments', () => {
    const same = parseRequirements('# c\nClick >= 8\nBLACK == 23.1.0\n--index-url https://host/simple\n', 'r');
    expect(requirementsHash(same)).toBe(requirementsHash(base));
  });

  it('changes with a requirement or an option', () => {
    expect(requirementsHash(parseRequirements('black==23.1.0\nclick>=8.1\n--index-url https://host/simple\n', 'r'))).not.toBe(
      requirementsHash(base),
    );
    expect(requirementsHash(parseRequirements('black==23.1.0\nclick>=8\n', 'r'))).not.toBe(requirementsHash(base));
  });

  it('does not depend on credentials', () => {
    const withCredentials = parseRequirements('black==23.1.0\nclick>=8\n--index-url https://u:p@host/simple\n', 'r');
    expect(requirementsHash(withCredentials)).toBe(requirementsHash(base));
    expect(requirementsHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });
});
