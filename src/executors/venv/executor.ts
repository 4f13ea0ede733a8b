import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { materializeVenv } from '../../core/workflows';
import { archivePathOf, pluginOptionsOf } from '../../plugins/options';
import { runExecutorBody, toolTarget } from '../context';
import type { VenvExecutorSchema } from './schema';

/** The archive option, else wherever this project's pex target writes the archive (so a moved archive is set once). */
function archiveOf(options: VenvExecutorSchema, context: ExecutorContext): string {
  if (options.archive) return options.archive;
  const project = context.projectsConfigurations?.projects[context.projectName ?? ''];
  return archivePathOf(project ?? {}, pluginOptionsOf(context.nxJsonConfiguration));
}

export default async function venvExecutor(options: VenvExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    const dest = target.resolvePath(options.outputPath);
    await materializeVenv({
      archive: target.resolvePath(archiveOf(options, context)),
      dest,
      binPath: options.binPath,
      compile: options.compile,
      prompt: options.prompt,
    });
    report.info(`wrote venv ${path.relative(target.workspaceRoot, dest)}`);
  });
}
