import { environmentId, LockEnvironment, Platform, platformMarker } from '../python';
import { MarkerExpr, MarkerToken, parseMarker } from '../requirements';

/*
 * The markers of a multi-environment pylock.toml: a package's `marker` says in which of the lock's
 * environments it is installed. The writer keeps it as short as is correct for the covered
 * environments; the reader evaluates it (PEP 508) against each of them.
 */

const VERSION_VARIABLES = new Set(['python_version', 'python_full_version', 'implementation_version']);

const release = (v: string) => (/^\d+(\.\d+)*$/.test(v) ? v.split('.').map(Number) : null);

function compareReleases(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

function compare(left: string, op: string, right: string, versions: boolean): boolean {
  if (op === 'in') return right.includes(left);
  if (op === 'not in') return !right.includes(left);
  const [a, b] = [release(left), release(right)];
  if (versions && a && b) {
    const c = compareReleases(a, b);
    const prefix = (p: number[]) => p.every((n, i) => (a[i] ?? 0) === n);
    switch (op) {
      case '==':
        return c === 0;
      case '!=':
        return c !== 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '~=':
        return c >= 0 && prefix(b.slice(0, -1));
      case '===':
        return left === right;
    }
  }
  if (op === '==' || op === '===') return left === right;
  if (op === '!=') return left !== right;
  throw new Error(`'${op}' compares versions, and '${left}' or '${right}' is none`);
}

/**
 * Whether a PEP 508 marker holds for these variable values (a variable without one, such as
 * `extra`, is ''); throws an Error saying why it cannot be read.
 */
export function evaluateMarker(marker: string, values: Record<string, string>): boolean {
  const evaluate = (expr: MarkerExpr): boolean => {
    switch (expr.kind) {
      case 'group':
        return evaluate(expr.inner);
      case 'and':
        return expr.parts.map(evaluate).every(Boolean); // every part, so a bad one is refused wherever it is
      case 'or':
        return expr.parts.map(evaluate).some(Boolean);
      case 'compare': {
        const [left, right] = [valueOf(expr.left, values), valueOf(expr.right, values)];
        const versions = VERSION_VARIABLES.has(left.variable ?? right.variable ?? '');
        return compare(left.text, expr.op, right.text, versions);
      }
    }
  };
  return evaluate(parseMarker(marker));
}

function valueOf(token: MarkerToken, values: Record<string, string>): { text: string; variable?: string } {
  if (token.kind === 'string') return { text: token.text.slice(1, -1) };
  const name = token.text.replace(/\./g, '_').replace(/^python_implementation$/, 'platform_python_implementation');
  return { text: values[name] ?? '', variable: name };
}

const minor = (python: string) => Number(python.split('.')[1]);
const byMinor = (a: string, b: string) => minor(a) - minor(b);

/** The python_version clause that picks `chosen` out of `all` (sorted minors); '' for all of them. */
function pythonClause(chosen: string[], all: string[]): string {
  if (chosen.length === all.length) return '';
  const inside = all.map((p) => chosen.includes(p));
  const cut = inside.indexOf(!inside[0]);
  if (inside.slice(cut).every((x) => x === inside[cut])) {
    return `python_version ${inside[0] ? '<' : '>='} "${all[cut]}"`;
  }
  return chosen.map((p) => `python_version == "${p}"`).join(' or ');
}

const OS_OF: Record<string, string> = { linux: 'linux', macos: 'darwin' };

/** The clause that picks `chosen` out of the covered platforms; '' for all of them. */
function platformClause(chosen: Platform[], all: Platform[]): string {
  if (chosen.length === all.length) return '';
  for (const os of Object.keys(OS_OF)) {
    const family = all.filter((p) => p.startsWith(`${os}_`));
    if (family.length === chosen.length && family.every((p) => chosen.includes(p))) return `sys_platform == "${OS_OF[os]}"`;
  }
  return chosen.map((p) => (chosen.length > 1 ? `(${platformMarker(p)})` : platformMarker(p))).join(' or ');
}

const group = (clause: string, others: number) => (clause.includes(' or ') && others > 0 ? `(${clause})` : clause);

/**
 * The marker of a package installed in `ids` of the `covered` environments: undefined for all of
 * them, else a platform clause, a python_version clause, both, or an `or` of such per platform.
 */
export function packageMarker(ids: string[], covered: LockEnvironment[]): string | undefined {
  const chosen = covered.filter((e) => ids.includes(environmentId(e)));
  if (chosen.length === covered.length) return undefined;
  const platforms = [...new Set(covered.map((e) => e.platform))];
  // Platforms that install the package, grouped by the python_version clause that picks its minors there.
  const groups = new Map<string, Platform[]>();
  for (const platform of platforms) {
    const here = chosen.filter((e) => e.platform === platform).map((e) => e.python);
    if (!here.length) continue;
    const clause = pythonClause(
      here.sort(byMinor),
      covered
        .filter((e) => e.platform === platform)
        .map((e) => e.python)
        .sort(byMinor),
    );
    groups.set(clause, [...(groups.get(clause) ?? []), platform]);
  }
  const parts = [...groups].map(([python, members]) => {
    const platform = platformClause(members, platforms);
    const both = [platform, python].filter(Boolean);
    return both.map((c) => group(c, both.length - 1)).join(' and ');
  });
  return parts.length === 1 ? parts[0] : parts.map((p) => (p.includes(' or ') || p.includes(' and ') ? `(${p})` : p)).join(' or ');
}
