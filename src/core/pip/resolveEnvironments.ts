import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PexError, run } from '../common';
import { Interpreter } from '../python';
import { pipCommonFlags, pipFileArgs, pipProblemLine, pipProcessEnv, ReportItem, requirePip, withPipTemp, writePrivate } from './pip';

export interface EnvironmentRequest {
  id: string;
  /**
   * pip target flags for a foreign environment (preferred platform first); [] for the locking
   * interpreter's own environment (sdists allowed, real markers).
   */
  targetArgs: string[];
  /** PEP 508 marker values for this environment (all 11 variables); null for the locking interpreter's own environment. */
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

export interface ResolveEnvironmentsCall {
  interpreter: Interpreter;
  /** Lines of the requirements file, as runPip's `requirements` (pip options from requirements.txt included). */
  requirements: string[];
  /** Index flags (indexArgs), given to every environment. */
  indexArgs: string[];
  envs: EnvironmentRequest[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Called as each environment finishes (live counts). */
  onDone?: (done: number, total: number) => void;
}

/** The Python side: next to this file in src/ and in dist/ (scripts/build.js copies it). */
export const RESOLVE_ENVIRONMENTS_DRIVER = path.join(__dirname, 'resolve_environments.py');

/** The values packaging's default_environment() returns: pip evaluates every marker with them. */
const MARKER_NAMES = [
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
];

/** pip's command line for one environment, as resolve's single pip call has it; files go under `dir`. */
function environmentArgv(call: ResolveEnvironmentsCall, request: EnvironmentRequest, requirementsFile: string, dir: string): string[] {
  const foreign = request.targetArgs.length > 0;
  const constraints = request.constraints.length ? ['-c', path.join(dir, 'constraints.txt')] : [];
  if (constraints.length) writePrivate(constraints[1], request.constraints);
  return [
    ...['install', '--dry-run', '--ignore-installed', '--report', path.join(dir, 'report.json'), ...call.indexArgs],
    // pip takes target flags only with --target, even for a dry run; nothing is written there.
    ...(foreign ? [...request.targetArgs, '--target', path.join(dir, 'target')] : []),
    ...pipCommonFlags(true),
    ...['-r', requirementsFile, ...constraints],
  ];
}

/** A caller's bug, not the user's: pip would fail on the first marker naming a missing value. */
function assertMarkers(request: EnvironmentRequest): void {
  const missing = request.markers ? MARKER_NAMES.filter((name) => typeof request.markers![name] !== 'string') : [];
  if (missing.length) throw new Error(`the marker values of environment ${request.id} lack ${missing.join(', ')}`);
}

/**
 * Resolves every environment in ONE pip process of `interpreter`: it imports pip once and forks
 * a child per environment (as many at a time as there are CPUs), each a `pip install --dry-run
 * --report` with that environment's target flags, marker values and constraints. pip's own
 * configuration, auth and indexes apply as in a single pip call. Results come in request order.
 */
export async function pipResolveEnvironments(call: ResolveEnvironmentsCall): Promise<EnvironmentResolution[]> {
  if (call.envs.length === 0) return [];
  call.envs.forEach(assertMarkers);
  requirePip(call.interpreter, `resolving for ${call.envs.map((e) => e.id).join(', ')}`);
  return withPipTemp(undefined, async (temp) => {
    const [, requirementsFile] = pipFileArgs(temp, call.requirements);
    const dirs = call.envs.map((_, i) => path.join(temp, `env-${i}`));
    const environments = call.envs.map((request, i) => {
      mkdirSync(dirs[i]);
      return {
        id: request.id,
        argv: environmentArgv(call, request, requirementsFile, dirs[i]),
        markers: request.markers,
        log: path.join(dirs[i], 'log'),
      };
    });
    // The request holds the index flags, credentials included: only the user reads it.
    const requestFile = path.join(temp, 'request.json');
    writePrivate(requestFile, [JSON.stringify({ environments })]);
    const codes = new Map<number, number>();
    const result = await run(call.interpreter.path, [RESOLVE_ENVIRONMENTS_DRIVER, requestFile], {
      cwd: call.cwd,
      env: pipProcessEnv(call.env),
      onLine: (line) => {
        const done = /^\{"index": (\d+), .*"code": (\d+)\}$/.exec(line);
        if (!done) return;
        codes.set(Number(done[1]), Number(done[2]));
        call.onDone?.(codes.size, call.envs.length);
      },
    });
    if (result.code !== 0 || codes.size !== call.envs.length) {
      throw new PexError(
        `pip could not run for the environments ${call.envs.map((e) => e.id).join(', ')}: ${pipProblemLine(result.stderr)}`,
        `${call.interpreter.path} (Python ${call.interpreter.version.join('.')}, pip ${call.interpreter.pip})`,
        `repair that interpreter's pip ('${call.interpreter.path} -m pip install --upgrade pip'), or choose another with the python option`,
      );
    }
    return call.envs.map((request, i) => {
      const log = path.join(dirs[i], 'log');
      const report = path.join(dirs[i], 'report.json');
      const code = codes.get(i)!;
      const stderr = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (code === 0 && existsSync(report)) {
        return { id: request.id, install: (JSON.parse(readFileSync(report, 'utf8')) as { install: ReportItem[] }).install, stderr };
      }
      return { id: request.id, install: null, stderr: stderr || `ERROR: pip exited with status ${code}` };
    });
  });
}
