import { CONTRACT, PexError } from '../common';

/**
 * Interpreter constraints: the PEP 440 specifier subset that describes CPython versions,
 * e.g. `>=3.9,<3.14`, `CPython>=3.8`, `==3.11.*`. A list is OR, commas are AND.
 */

export type Operator = '==' | '!=' | '<=' | '>=' | '<' | '>' | '~=' | '===';

export interface Clause {
  op: Operator;
  /** The version as written, for `===`. */
  text: string;
  release: number[];
  /** `==3.11.*` / `!=3.11.*`: a prefix match. */
  wildcard: boolean;
}

export interface Constraint {
  /** `cpython` when the constraint names it; null when any implementation is meant. */
  implementation: 'cpython' | null;
  clauses: Clause[];
}

export type Version = [number, number, number];

const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*(\S+)$/;
const RELEASE = /^\d+(\.\d+)*$/;

function invalid(s: string, why: string): PexError {
  return new PexError(
    `interpreter constraint '${s}' is invalid: ${why}`,
    'interpreterConstraints (pex:tool --python)',
    "write it like '>=3.9,<3.14' or 'CPython==3.11.*'",
  );
}

function parseClause(s: string, raw: string): Clause {
  const m = CLAUSE.exec(raw.trim());
  if (!m) throw invalid(s, `'${raw.trim()}' is not an operator followed by a version`);
  const op = m[1] as Operator;
  const text = m[2];
  if (op === '===') return { op, text, release: [], wildcard: false };
  const wildcard = text.endsWith('.*');
  const release = wildcard ? text.slice(0, -2) : text;
  if (!RELEASE.test(release)) throw invalid(s, `'${text}' is not a release version like 3.11 or 3.11.4`);
  if (wildcard && op !== '==' && op !== '!=') throw invalid(s, `'.*' only goes with == and !=`);
  if (op === '~=' && !release.includes('.')) throw invalid(s, `~= needs at least two components, e.g. ~=3.9`);
  return { op, text, release: release.split('.').map(Number), wildcard };
}

/**
 * A bare version, as `--python 3.11`, means that minor (`==3.11.*`) or that release (`3.11.4` →
 * `==3.11.4`); other forms stay as written.
 */
export function normalizeConstraint(s: string): string {
  const bare = /^\s*(\d+\.\d+)(\.\d+)?\s*$/.exec(s);
  if (!bare) return s.trim();
  return bare[2] ? `==${bare[1]}${bare[2]}` : `==${bare[1]}.*`;
}

export function parseConstraint(s: string): Constraint {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)?\s*(.*?)\s*$/.exec(s) as RegExpExecArray;
  const [, impl, rest] = m;
  if (impl !== undefined && impl.toLowerCase() !== 'cpython') {
    throw invalid(s, `only CPython is supported, not '${impl}'`);
  }
  if (rest === '') {
    if (impl === undefined) throw invalid(s, 'it is empty');
    return { implementation: 'cpython', clauses: [] };
  }
  return { implementation: impl === undefined ? null : 'cpython', clauses: rest.split(',').map((c) => parseClause(s, c)) };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function hasPrefix(version: number[], prefix: number[]): boolean {
  return prefix.every((p, i) => (version[i] ?? 0) === p);
}

function matches(clause: Clause, version: Version): boolean {
  const c = compare(version, clause.release);
  switch (clause.op) {
    case '==':
      return clause.wildcard ? hasPrefix(version, clause.release) : c === 0;
    case '!=':
      return clause.wildcard ? !hasPrefix(version, clause.release) : c !== 0;
    case '<=':
      return c <= 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '~=':
      return c >= 0 && hasPrefix(version, clause.release.slice(0, -1));
    case '===':
      return version.join('.') === clause.text;
  }
}

function allows(parsed: Constraint[], version: Version): boolean {
  return parsed.length === 0 || parsed.some((constraint) => constraint.clauses.every((c) => matches(c, version)));
}

/** Whether a CPython version is allowed: any constraint (OR) whose clauses all hold (AND); [] allows all. */
export function satisfies(constraints: string[], version: Version): boolean {
  return allows(constraints.map(parseConstraint), version);
}

const { oldest, newest } = CONTRACT.cpythonMinors;
const MINORS = Array.from({ length: newest - oldest + 1 }, (_, i) => newest - i); // newest first
// A minor is allowed when some patch release of it is; interpreters do not reach patch 100.
const PATCHES = Array.from({ length: 100 }, (_, i) => i);

/**
 * The interpreter names to try in order (the archive's `@PYTHONS@`), per docs/archive-format.md.
 * `python3` comes first: a versioned name on PATH may be a pyenv shim for a version that is not
 * selected, which fails only when run, and the cold path re-checks the constraints anyway.
 */
export function candidateNames(constraints: string[]): string[] {
  const parsed = constraints.map(parseConstraint);
  const minors = parsed.length ? MINORS.filter((minor) => PATCHES.some((patch) => allows(parsed, [3, minor, patch]))) : [];
  return ['python3', ...minors.map((minor) => `python3.${minor}`), 'python'];
}
