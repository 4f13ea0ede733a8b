import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { PexError } from './errors';

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** 'inherit' attaches the terminal; stdout and stderr are then not captured. */
  stdio?: 'pipe' | 'inherit';
  /** Called with each complete line of stdout as it arrives (stdout is still captured). */
  onLine?: (line: string) => void;
}

/** The one way the core starts processes: an argument array, never a shell string. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const inherit = opts.stdio === 'inherit';
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [
        opts.input === undefined ? (inherit ? 'inherit' : 'ignore') : 'pipe',
        inherit ? 'inherit' : 'pipe',
        inherit ? 'inherit' : 'pipe',
      ],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (!opts.onLine) return;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(opts.onLine);
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new PexError('command not found', `${cmd}${opts.cwd ? ` (from ${opts.cwd})` : ''}`, 'install it or put it on PATH'));
      } else if (err.code === 'EACCES') {
        reject(new PexError('command is not executable', cmd, 'chmod +x it or use another command'));
      } else {
        reject(err);
      }
    });
    child.on('close', (code, signal) => {
      resolve({
        // Like a shell: a signal death reads as 128+N.
        code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    if (opts.input !== undefined && child.stdin) {
      // The child may exit without reading its input; that is its business, not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}
