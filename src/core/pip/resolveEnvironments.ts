import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { Interpreter } from '../python';
import { ReportItem, runPip } from './pip';

export interface EnvironmentRequest {
  id: string;
  /** pip target flags for a foreign environment (preferred first); [] for the locking interpreter's own environment. */
  targetArgs: string[];
  /** PEP 508 marker values for this environment; null for the locking interpreter's own environment. */
  markers: Record<string, string> | null;
  /** Constraint lines (kept pins) for this environment; [] for none. */
  constraints: string[];
}

export interface EnvironmentResolution {
  id: string;
  /** pip's `install --report` items, when pip succeeded. */
  install: ReportItem[] | null;
  /** pip's stderr for this environment (for pipProblemLine and the pin-conflict check). */
  stderr: string;
}

/** Resolves every environment with `interpreter`'s pip, one `install --dry-run --report` each; results in request order. */
export async function pipResolveEnvironments(call: {
  interpreter: Interpreter;
  requirements: string[];
  indexArgs: string[];
  envs: Array<EnvironmentRequest>;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  onDone?: (done: number, total: number) => void;
}): Promise<EnvironmentResolution[]> {
  let done = 0;
  const resolveOne = (request: EnvironmentRequest) =>
    runPip(
      {
        interpreter: call.interpreter,
        // pip takes target flags only with --target, even for a dry run; nothing is written there.
        args: (temp) => [
          ...['install', '--dry-run', '--ignore-installed', '--report', path.join(temp, 'report.json'), ...call.indexArgs],
          ...(request.targetArgs.length ? [...request.targetArgs, '--target', path.join(temp, 'target')] : []),
        ],
        requirements: call.requirements,
        constraints: request.constraints,
        cwd: call.cwd,
        env: call.env,
      },
      (result, temp): EnvironmentResolution => {
        call.onDone?.(++done, call.envs.length);
        const install =
          result.code === 0
            ? (JSON.parse(readFileSync(path.join(temp, 'report.json'), 'utf8')) as { install: ReportItem[] }).install
            : null;
        return { id: request.id, install, stderr: result.stderr };
      },
    );
  // As many pip processes at a time as there are cores.
  const results: EnvironmentResolution[] = new Array(call.envs.length);
  let next = 0;
  const worker = async () => {
    while (next < call.envs.length) {
      const i = next++;
      results[i] = await resolveOne(call.envs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cpus().length || 1, call.envs.length) }, worker));
  return results;
}
