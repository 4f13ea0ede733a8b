import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { materializeVenv } from '../../core/workflows';
import { runExecutorBody, toolTarget } from '../context';
import type { VenvExecutorSchema } from './schema';

export default async function venvExecutor(options: VenvExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    const dest = target.resolvePath(options.outputPath);
    await materializeVenv({
      archive: target.resolvePath(options.archive),
      dest,
      binPath: options.binPath,
      compile: options.compile,
      prompt: options.prompt,
    });
    report.info(`wrote venv ${path.relative(target.workspaceRoot, dest)}`);
  });
}
