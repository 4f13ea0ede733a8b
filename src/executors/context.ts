import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { createReporter, PexError, Reporter } from '../core/common';
import type { IndexOptions } from '../core/resolve';

/** What every executor needs from Nx: the project's root and name, and paths resolved against the workspace. */
export interface ToolTarget {
  workspaceRoot: string;
  projectRoot: string;
  projectName: string;
  /** Replaces {workspaceRoot}, {projectRoot} and {projectName}, then makes the path absolute. */
  resolvePath(value: string): string;
}

export function toolTarget(context: ExecutorContext): ToolTarget {
  const projectName = context.projectName;
  const project = projectName ? context.projectsConfigurations?.projects[projectName] : undefined;
  if (!projectName || !project) {
    throw new PexError('this executor must run as a target of a project: use nx run <project>:<target>');
  }
  const workspaceRoot = context.root;
  const projectRoot = project.root;
  return {
    workspaceRoot,
    projectRoot,
    projectName,
    resolvePath: (value) =>
      path.resolve(
        workspaceRoot,
        value
          .replace(/\{workspaceRoot\}\/?/g, '')
          .replace(/\{projectRoot\}/g, projectRoot)
          .replace(/\{projectName\}/g, projectName),
      ),
  };
}

/** Index options: the target's own win over the plugin entry's in nx.json; pip's config applies beneath both. */
export function indexOptions(options: IndexOptions, context: ExecutorContext): IndexOptions {
  const entry = context.nxJsonConfiguration?.plugins?.find(
    (p) => (typeof p === 'string' ? p : p.plugin) === 'pex',
  );
  const fromNxJson = (entry && typeof entry !== 'string' ? (entry.options as IndexOptions) : undefined) ?? {};
  const pick = (o: IndexOptions): IndexOptions =>
    Object.fromEntries(
      (['indexUrl', 'extraIndexUrls', 'findLinks', 'noIndex'] as const)
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, o[k]]),
    );
  return { ...pick(fromNxJson), ...pick(options) };
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
      report.error(e.message);
      return { success: false };
    }
    throw e;
  }
}
