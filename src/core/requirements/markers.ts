/** PEP 508 environment markers: validated and rendered in one canonical spelling; pip evaluates them. */

const VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  // Legacy spellings that pip still accepts.
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation',
]);

const TOKEN = /\s*(?:("[^"]*"|'[^']*')|(===|==|!=|<=|>=|~=|<|>)|(\(|\))|([A-Za-z_][A-Za-z0-9_.]*))/y;

/** A marker's tokens; a string keeps its quotes (see unquote). Throws an Error on an unexpected character. */
export interface MarkerToken {
  kind: 'string' | 'op' | 'paren' | 'word';
  text: string;
}

function tokenizeMarker(marker: string): MarkerToken[] {
  const tokens: MarkerToken[] = [];
  TOKEN.lastIndex = 0;
  while (!/^\s*$/.test(marker.slice(TOKEN.lastIndex))) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(marker);
    if (!m) throw new Error(`unexpected '${marker.slice(at).trim()}'`);
    const [, str, op, paren, word] = m;
    tokens.push(
      str !== undefined
        ? { kind: 'string', text: str }
        : op !== undefined
          ? { kind: 'op', text: op }
          : paren !== undefined
            ? { kind: 'paren', text: paren }
            : { kind: 'word', text: word },
    );
  }
  return tokens;
}

/** A parsed marker: comparisons joined by `and`/`or`, with the groups as written. */
export type MarkerExpr =
  | { kind: 'compare'; left: MarkerToken; op: string; right: MarkerToken }
  | { kind: 'and' | 'or'; parts: MarkerExpr[] }
  | { kind: 'group'; inner: MarkerExpr };

/**
 * Parses a PEP 508 marker; throws an Error saying what is wrong (the caller adds where). Grammar:
 * or_expr := and_expr ('or' and_expr)*; and_expr := atom ('and' atom)*;
 * atom := '(' or_expr ')' | value op value, a value being a quoted string or a marker variable.
 */
export function parseMarker(marker: string): MarkerExpr {
  const tokens = tokenizeMarker(marker);
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (text: string) => peek()?.kind === 'word' && peek().text === text;

  const value = () => {
    const t = tokens[i++];
    if (t?.kind === 'string' || (t?.kind === 'word' && VARIABLES.has(t.text))) return t;
    throw new Error(t ? `unknown marker variable ${t.text}` : 'it ends too early');
  };
  const operator = () => {
    const t = tokens[i++];
    if (t?.kind === 'op' || (t?.kind === 'word' && t.text === 'in')) return t.text;
    if (t?.kind === 'word' && t.text === 'not' && isWord('in')) {
      i++;
      return 'not in';
    }
    throw new Error(t ? `expected a comparison operator, got '${t.text}'` : 'it ends too early');
  };
  const atom = (): MarkerExpr => {
    if (peek()?.kind === 'paren' && peek().text === '(') {
      i++;
      const inner = orExpr();
      if (tokens[i++]?.text !== ')') throw new Error("a '(' is not closed");
      return { kind: 'group', inner };
    }
    return { kind: 'compare', left: value(), op: operator(), right: value() };
  };
  const joined = (kind: 'and' | 'or', part: () => MarkerExpr) => (): MarkerExpr => {
    const parts = [part()];
    while (isWord(kind)) {
      i++;
      parts.push(part());
    }
    return parts.length === 1 ? parts[0] : { kind, parts };
  };
  const orExpr = joined('or', joined('and', atom));

  const parsed = orExpr();
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i].text}'`);
  return parsed;
}

function render(expr: MarkerExpr): string {
  switch (expr.kind) {
    case 'compare':
      return `${expr.left.text} ${expr.op} ${expr.right.text}`;
    case 'group':
      return `(${render(expr.inner)})`;
    default:
      return expr.parts.map(render).join(` ${expr.kind} `);
  }
}

/** The marker with single spaces between tokens; throws an Error saying what is wrong. */
export function normalizeMarker(marker: string): string {
  return render(parseMarker(marker));
}
