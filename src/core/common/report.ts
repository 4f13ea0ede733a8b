import type { PexError } from './errors';

/**
 * The one place that prints `pex` lines. Two shapes, so logs (and tests) tell them apart:
 * `pex: <what>, <where>: <fix>` is an error (CONTRACT.errorLine, the runtime's shape too);
 * `[pex] <text>` is information (a long step starting, a result). Colour only on a terminal
 * without NO_COLOR; live progress only on a terminal.
 */

// CSI sequences (colours, cursor moves) and OSC ones (links, titles), as pip and rich emit them.
// eslint-disable-next-line no-control-regex -- matching ESC and BEL is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** One line: escape codes (pip's, a tool's) and line breaks removed. */
function oneLine(text: string): string {
  return stripAnsi(text).replace(/\s*\n\s*/g, ' ');
}

/**
 * The error line, `pex: <what>, <where>: <fix>`: what the reporter prints and what Nx shows for a
 * generator or sync generator that fails. `prefix` is `pex:`, painted on a terminal.
 */
export function formatError(error: PexError, prefix = 'pex:'): string {
  return `${prefix} ${oneLine(error.message)}`;
}

/** A long step: `update` shows live counts or bytes on a terminal and does nothing elsewhere. */
export interface Step {
  update(progress: string): void;
  done(): void;
}

export interface Reporter {
  info(line: string): void;
  error(error: PexError): void;
  /** Prints `line` when the step starts. */
  step(line: string): Step;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function createReporter(stream: Stream = process.stderr, env: NodeJS.ProcessEnv = process.env): Reporter {
  const tty = !!stream.isTTY;
  const colour = tty && !('NO_COLOR' in env && env.NO_COLOR !== '');
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  let live: string | null = null;
  const endLive = () => {
    if (live !== null) stream.write('\n');
    live = null;
  };
  return {
    info: (text) => {
      endLive();
      stream.write(`${paint('2', '[pex]')} ${oneLine(text)}\n`);
    },
    error: (error) => {
      endLive();
      stream.write(`${formatError(error, paint('1;31', 'pex:'))}\n`);
    },
    step: (text) => {
      endLive();
      const head = `${paint('2', '[pex]')} ${oneLine(text)}`;
      if (!tty) {
        stream.write(`${head}\n`);
        return { update: () => undefined, done: () => undefined };
      }
      stream.write(head);
      live = head;
      let width = 0;
      return {
        update: (progress) => {
          if (live !== head) return;
          // Spaces, not an erase sequence, clear the rest of the previous update.
          const text = ` ${oneLine(progress)}`;
          stream.write(`\r${head}${text}${' '.repeat(Math.max(0, width - text.length))}`);
          width = text.length;
        },
        done: () => {
          if (live === head) endLive();
        },
      };
    },
  };
}

/** For library callers and tests that want no output. */
export const silentReporter: Reporter = {
  info: () => undefined,
  error: () => undefined,
  step: () => ({ update: () => undefined, done: () => undefined }),
};

/** `1.4 MB`, `320 kB`: decimal units, as pip prints sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
