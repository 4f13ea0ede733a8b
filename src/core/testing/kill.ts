import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Runs `fn(...args)` of the TypeScript module `file` in a child process and SIGKILLs it as soon
 * as any file under `watchDir` holds at least `minBytes`: a crash mid-write.
 * Resolves to whether the kill landed before the child finished.
 */
export function killMidWrite(file: string, fn: string, args: unknown[], watchDir: string, minBytes: number): Promise<boolean> {
  const child = spawn(process.execPath, [path.join(__dirname, 'tsChild.js'), file, fn, JSON.stringify(args)], { stdio: 'ignore' });
  return new Promise((resolve) => {
    let killed = false;
    const poll = () => {
      if (listFiles(watchDir).some((f) => size(f) >= minBytes)) {
        killed = child.kill('SIGKILL');
        return;
      }
      timer = setTimeout(poll, 2);
    };
    let timer = setTimeout(poll, 2);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(killed && signal === 'SIGKILL');
    });
  });
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Every file under dir (absolute paths); [] when it does not exist yet. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
