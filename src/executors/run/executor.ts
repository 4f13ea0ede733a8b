import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { PexError } from '../../core/common';
import { runTool } from '../../core/workflows';
import { archivePathOf, pluginOptionsOf } from '../../plugins/options';
import { resolveTokens, runExecutorBody, toolTarget } from '../context';
import type { RunExecutorSchema } from './schema';

/** The archive of `tool` (or of this project): wherever that project's pex target writes it. */
function archiveOf(options: RunExecutorSchema, context: ExecutorContext, projectName: string): string {
  if (options.archive) return options.archive;
  const tool = options.tool ?? projectName;
  const project = context.projectsConfigurations?.projects[tool];
  if (!project) {
    throw new PexError(`tool project '${tool}' does not exist`, 'the tool option', `create it with nx g pex:tool ${tool}`);
  }
  const archive = archivePathOf(project, pluginOptionsOf(context.nxJsonConfiguration));
  return resolveTokens(archive, { root: project.root, name: tool }, `the outputPath of ${tool}'s pex target`);
}

export default async function runExecutor(options: RunExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    const args = resolveTokens(options.args ?? [], { root: target.projectRoot, name: target.projectName }, 'args');
    const archive = target.resolvePath(archiveOf(options, context, target.projectName));
    const code = await runTool({
      archive,
      args: [...args, ...(options.__unparsed__ ?? [])],
      cwd: options.cwd ? target.resolvePath(options.cwd) : target.workspaceRoot,
      // One multi-tool archive serves several targets: PEX_SCRIPT picks the console script.
      env: options.script ? { ...process.env, PEX_SCRIPT: options.script } : undefined,
    });
    if (code !== 0) {
      const tool = options.tool ?? target.projectName;
      report.error(
        new PexError(`${tool} exited with code ${code}`, path.relative(target.workspaceRoot, archive), 'its output above says why'),
      );
    }
    return code === 0;
  });
}
