/**
 * An error the user caused and can fix, in the runtime's shape (pexnx.PexError): what went
 * wrong, where (a file, file:line, an option, a package), and how to fix it. Its message is
 * `<what>, <where>: <fix>`; formatError (report.ts) makes it the one line users see,
 * `pex: <what>, <where>: <fix>`, without a stack trace.
 */
export class PexError extends Error {
  readonly what: string;
  readonly where: string;
  readonly fix: string;

  constructor(what: string, where: string, fix: string) {
    const flat = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
    super(`${flat(what)}, ${flat(where)}: ${flat(fix)}`);
    this.name = 'PexError';
    this.what = flat(what);
    this.where = flat(where);
    this.fix = flat(fix);
  }
}
