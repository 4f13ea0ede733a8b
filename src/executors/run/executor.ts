import type { ExecutorContext } from '@nx/devkit';
import { PexError } from '../../core/common';
import { runTool } from '../../core/workflows';
import { runExecutorBody, toolTarget } from '../context';
import type { RunExecutorSchema } from './schema';

/** The archive of `tool` (or of this project), at the path the pex target writes by default. */
function archiveOf(options: RunExecutorSchema, context: ExecutorContext, projectName: string): string {
  if (options.archive) return options.archive;
  const tool = options.tool ?? projectName;
  const project = context.projectsConfigurations?.projects[tool];
  if (!project) {
    throw new PexError(`tool project '${tool}' does not exist: create it with nx g pex:tool ${tool}`);
  }
  return `dist/${project.root}/${tool}.pex`;
}

export default async function runExecutor(options: RunExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    const fixed = (options.args ?? []).map((a) =>
      a
        .replace(/\{projectRoot\}/g, target.projectRoot)
        .replace(/\{projectName\}/g, target.projectName)
        .replace(/\{workspaceRoot\}/g, target.workspaceRoot),
    );
    const code = await runTool({
      archive: target.resolvePath(archiveOf(options, context, target.projectName)),
      args: [...fixed, ...(options.__unparsed__ ?? [])],
      cwd: options.cwd ? target.resolvePath(options.cwd) : target.workspaceRoot,
    });
    if (code !== 0) report.error(`${options.tool ?? target.projectName} exited with code ${code}`);
    return code === 0;
  });
}
