import { PexError } from '../common';
import { canonicalName, parseWheelName } from './wheelName';

describe('canonicalName', () => {
  it('follows PEP 503', () => {
    expect(canonicalName('Mypy_Extensions')).toBe('mypy-extensions');
    expect(canonicalName('zope.interface')).toBe('zope-interface');
    expect(canonicalName('a-_.b')).toBe('a-b');
  });
});

describe('parseWheelName', () => {
  it('parses a plain wheel', () => {
    expect(parseWheelName('mypy_extensions-0.4.3-py3-none-any.whl')).toEqual({
      name: 'mypy-extensions',
      version: '0.4.3',
      build: null,
      tags: ['py3-none-any'],
    });
  });

  it('expands compressed tag sets and reads build tags', () => {
    const wheel = parseWheelName('foo-1.0-1local-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    expect(wheel.build).toBe('1local');
    expect(wheel.tags).toEqual([
      'py2-none-manylinux_2_17_x86_64',
      'py2-none-manylinux2014_x86_64',
      'py3-none-manylinux_2_17_x86_64',
      'py3-none-manylinux2014_x86_64',
    ]);
  });

  it.each([
    'foo-1.0.tar.gz',
    'foo-1.0-py3-none.whl',
    'foo-1.0-x-py3-none-any.whl',
    '../foo-1.0-py3-none-any.whl',
    'f/o-1-py3-none-any.whl',
  ])('rejects %s', (name) => {
    expect(() => parseWheelName(name)).toThrow(PexError);
  });

  it.each([
    ['foo-1.0.tar.gz', 'not a wheel file name (name-version[-build]-python-abi-platform.whl)'],
    ['foo-1.0-x-py3-none-any.whl', "the build tag 'x' does not start with a digit"],
  ])('names %s and the fix', (name, what) => {
    expect(() => parseWheelName(name)).toThrow(`${what}, ${name}: rename it or rebuild the wheel`);
  });
});
