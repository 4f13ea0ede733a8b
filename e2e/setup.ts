import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ERROR_LINE } from '../src/core/common/contract';

const { buildFixtureWheels, isolatedEnv, repoRoot } = require('../scripts/lib/fixtures');

const { createWorkspace, nx, packPlugin, git } = require('../scripts/lib/workspace');

const { startIndexProcess: startIndex } = require('../scripts/lib/index-server');

const { startRemoteCacheProcess: startRemoteCache } = require('../scripts/lib/remote-cache');

export { git, isolatedEnv, startIndex, startRemoteCache };

// Each e2e test drives real nx runs; jest's per-project config has no testTimeout.
jest.setTimeout(600_000);

export interface NxResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/** One temp folder per suite: the packed plugin, fixture wheels, a template workspace to copy. */
export interface E2eContext {
  tmp: string;
  wheels: string;
  tarball: string;
  template: string;
}

export function prepare(name: string): E2eContext {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `pex-e2e-${name}-`));
  const distIndex = path.join(repoRoot, 'dist', 'index.js');
  if (!fs.existsSync(distIndex)) {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.js')], { stdio: 'inherit' });
  }
  const tarball = packPlugin(path.join(tmp, 'pack'));
  const wheels = path.join(tmp, 'wheels');
  buildFixtureWheels(wheels);
  const template = createWorkspace(path.join(tmp, 'template'), tarball);
  return { tmp, wheels, tarball, template };
}

/** pip sees only the fixture wheels (the way users point pip at a folder); PEX_ROOT and the wheel cache are the suite's own. */
export function findLinksEnv(ctx: E2eContext): NodeJS.ProcessEnv {
  return isolatedEnv({
    pexRoot: path.join(ctx.tmp, 'pex-root'),
    wheelCache: path.join(ctx.tmp, 'wheel-cache'),
    pip: { PIP_FIND_LINKS: ctx.wheels, PIP_NO_INDEX: '1' },
  });
}

/** A fresh copy of the template workspace (node_modules and git history included). */
export function workspaceCopy(ctx: E2eContext, name: string, from = ctx.template, skip: string[] = []): string {
  const dir = path.join(ctx.tmp, name);
  fs.cpSync(from, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !skip.includes(path.relative(from, src)),
  });
  return dir;
}

export function runNx(dir: string, args: string[], env: NodeJS.ProcessEnv): NxResult {
  return nx(dir, args, env);
}

/** Lets a server child's request log (read from its stdout) catch up after a blocking spawnSync. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

/** How nx ran `project:target`: 'miss' when the executor ran, else the kind of cache hit. */
export function cacheStatus(output: string, task: string): 'miss' | 'local' | 'remote' | 'unchanged' {
  const line = output.split('\n').find((l) => l.includes(`nx run ${task}`)) ?? '';
  if (line.includes('[local cache]')) return 'local';
  if (line.includes('[remote cache]')) return 'remote';
  if (line.includes('[existing outputs match the cache')) return 'unchanged';
  return 'miss';
}

/**
 * Our error lines, from `pex: ` on (Nx may indent a line or put its own prefix before it): errors
 * read `pex: <what>, <where>: <fix>`, information reads `[pex] <text>` (a step starting, a result,
 * a change), see src/core/common/report.ts. Bad input must give exactly one. A `pex: ` line of any
 * other shape fails the test: the shape is the contract's (`errorLine`), the runtime's lines too.
 */
export function errorLines(output: string): string[] {
  const lines = output
    .split('\n')
    .filter((l) => !/\[pex\] /.test(l))
    .map((l) => /(?:^|\s)(pex: .*)$/.exec(l)?.[1].trimEnd())
    .filter((l): l is string => l !== undefined);
  const odd = lines.filter((l) => !ERROR_LINE.test(l));
  if (odd.length) throw new Error(`not in the error line's shape (pex: <what>, <where>: <fix>):\n${odd.join('\n')}`);
  return lines;
}

/** Our information lines (`[pex] …`), without the prefix. */
export function infoLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => /\[pex\] (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .map((l) => l.trimEnd());
}

export function hasStackTrace(output: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(output) || /Traceback \(most recent call last\)/.test(output);
}

/** A tool's lock as the plugin reads it (pylock.toml, or a pex.lock.json of an earlier version), with the packed plugin's own reader. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readLock(file: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot, 'dist', 'core', 'lock')).readLockfile(file);
}

/** Every file a lock holds, each once (the plugin's own lockedFiles). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lockedFiles(lock: unknown): any[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot, 'dist', 'core', 'lock')).lockedFiles(lock);
}
