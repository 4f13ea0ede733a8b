import { formatError, Reporter } from '../common';

/** Test support: a reporter that keeps the lines a user would see. */
export function recorder(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (line) => lines.push(line),
    error: (e) => lines.push(formatError(e)),
    step: (line) => {
      lines.push(line);
      return { update: () => undefined, done: () => undefined };
    },
  };
}
