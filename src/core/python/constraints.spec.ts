import { candidateNames, normalizeConstraint, parseConstraint, satisfies } from './constraints';
import { PexError } from '../common';

describe('parseConstraint', () => {
  it('reads an optional CPython prefix and AND-ed clauses', () => {
    expect(parseConstraint('CPython>=3.8,<3.14')).toEqual({
      implementation: 'cpython',
      clauses: [
        { op: '>=', text: '3.8', release: [3, 8], wildcard: false },
        { op: '<', text: '3.14', release: [3, 14], wildcard: false },
      ],
    });
    expect(parseConstraint('==3.11.*').clauses[0]).toMatchObject({ release: [3, 11], wildcard: true });
    expect(parseConstraint('CPython')).toEqual({ implementation: 'cpython', clauses: [] });
  });

  it.each(['', '3.11', '>=three', 'PyPy>=3.9', '>=3.9.*', '~=3', '>=3.9,', '=>3.9'])('rejects %j', (text) => {
    expect(() => parseConstraint(text)).toThrow(PexError);
  });
});

describe('satisfies', () => {
  it.each<[string[], [number, number, number], boolean]>([
    [[], [3, 6, 0], true],
    [['>=3.9,<3.14'], [3, 13, 1], true],
    [['>=3.9,<3.14'], [3, 14, 0], false],
    [['>=3.9,<3.14'], [3, 8, 18], false],
    [['==3.11.*'], [3, 11, 7], true],
    [['==3.11.*'], [3, 12, 0], false],
    [['==3.11'], [3, 11, 7], false],
    [['==3.11'], [3, 11, 0], true],
    [['!=3.10.*'], [3, 10, 2], false],
    [['~=3.9'], [3, 12, 0], true],
    [['~=3.9.2'], [3, 9, 1], false],
    [['~=3.9.2'], [3, 10, 0], false],
    [['>3.9'], [3, 9, 1], true],
    [['===3.11.7'], [3, 11, 7], true],
    [['==3.8.*', '==3.12.*'], [3, 12, 1], true],
    [['==3.8.*', '==3.12.*'], [3, 11, 1], false],
    [['CPython'], [3, 11, 7], true],
  ])('%j allows %j: %s', (constraints, version, expected) => {
    expect(satisfies(constraints, version)).toBe(expected);
  });
});

describe('candidateNames', () => {
  it('is python3 python without constraints', () => {
    expect(candidateNames([])).toEqual(['python3', 'python']);
  });

  it('is python3, the allowed minors newest first, then python', () => {
    expect(candidateNames(['>=3.9,<3.12'])).toEqual(['python3', 'python3.11', 'python3.10', 'python3.9', 'python']);
    expect(candidateNames(['==3.8.*', 'CPython>=3.19'])).toEqual(['python3', 'python3.20', 'python3.19', 'python3.8', 'python']);
    expect(candidateNames(['>=3.11.4,<3.12'])).toEqual(['python3', 'python3.11', 'python']);
    expect(candidateNames(['>=4'])).toEqual(['python3', 'python']);
  });
});

describe('normalizeConstraint', () => {
  it.each([
    ['3.11', '==3.11.*'],
    [' 3.9 ', '==3.9.*'],
    ['3.11.4', '==3.11.4'],
    ['>=3.9,<3.14', '>=3.9,<3.14'],
    ['CPython==3.12.*', 'CPython==3.12.*'],
  ])('reads --python %j as %j', (given, meant) => {
    expect(normalizeConstraint(given)).toBe(meant);
    expect(satisfies([normalizeConstraint(given)], [3, 11, 4])).toBe(satisfies([meant], [3, 11, 4]));
  });

  it('makes a bare minor allow that minor only', () => {
    expect(satisfies([normalizeConstraint('3.11')], [3, 11, 7])).toBe(true);
    expect(satisfies([normalizeConstraint('3.11')], [3, 12, 0])).toBe(false);
  });
});
