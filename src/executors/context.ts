import type { ExecutorContext } from '@nx/devkit';
import { resolveNxTokensInOptions } from '@nx/devkit/internal';
import * as path from 'node:path';
import { createReporter, PexError, Reporter, stripAnsi } from '../core/common';
import type { IndexOptions } from '../core/resolve';
import { indexOptionsOf, pluginOptionsOf } from '../plugins/options';

/** What every executor needs from Nx: the project's root and name, and paths resolved against the workspace. */
export interface ToolTarget {
  workspaceRoot: string;
  projectRoot: string;
  projectName: string;
  /** Resolves Nx's tokens as Nx does in target options, then makes the path absolute. */
  resolvePath(value: string): string;
}

/**
 * Nx's own token resolution for target options (`{workspaceRoot}` only at the start, `{projectRoot}`,
 * `{projectName}`): Nx applies it to configured options, this applies it to schema defaults and
 * values given on the command line, for `project`. An ill-placed token is one line naming the option.
 */
export function resolveTokens<T extends string | string[]>(value: T, project: { root: string; name: string }, option: string): T {
  try {
    return resolveNxTokensInOptions({ [option]: value }, project as never, option)[option] as T;
  } catch (e) {
    // Nx's own message, without its ` NX ` badge (coloured or not) and the trailing `(option)` that `where` says.
    const what = stripAnsi((e as Error).message)
      .replace(/^\s*NX\s+/, '')
      .replace(/\.?\s*\([^)]*\)$/, '');
    throw new PexError(what, `${option} '${value}'`, 'move the token, or remove it');
  }
}

export function toolTarget(context: ExecutorContext): ToolTarget {
  const projectName = context.projectName;
  const project = projectName ? context.projectsConfigurations?.projects[projectName] : undefined;
  if (!projectName || !project) {
    throw new PexError(
      'this executor must run as a target of a project',
      projectName ? `project '${projectName}' (not in the workspace)` : 'a run without a project',
      'use nx run <project>:<target>',
    );
  }
  const workspaceRoot = context.root;
  const projectRoot = project.root;
  return {
    workspaceRoot,
    projectRoot,
    projectName,
    resolvePath: (value) => path.resolve(workspaceRoot, resolveTokens(value, { root: projectRoot, name: projectName }, 'path')),
  };
}

/** Index options: the target's own win over the plugin entry's in nx.json; pip's config applies beneath both. */
export function indexOptions(options: IndexOptions, context: ExecutorContext): IndexOptions {
  return { ...indexOptionsOf(pluginOptionsOf(context.nxJsonConfiguration)), ...indexOptionsOf(options) };
}

/**
 * Runs an executor body with the reporter that prints its lines (see core/common/report: no
 * colour off a terminal or with NO_COLOR); a PexError becomes one error line and a failed
 * result, never a stack trace.
 */
export async function runExecutorBody(body: (report: Reporter) => Promise<boolean | void>): Promise<{ success: boolean }> {
  const report = createReporter();
  try {
    const ok = await body(report);
    return { success: ok !== false };
  } catch (e) {
    if (e instanceof PexError) {
      report.error(e);
      return { success: false };
    }
    throw e;
  }
}
