import type { ExecutorContext } from '@nx/devkit';
import { logger } from '@nx/devkit';
import * as path from 'node:path';
import { lockTool } from '../../core/workflows';
import { indexOptions, runExecutorBody, toolTarget } from '../context';
import type { LockExecutorSchema } from './schema';

export default async function lockExecutor(options: LockExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async () => {
    const target = toolTarget(context);
    const lockFile = target.resolvePath(options.lockFile);
    const lock = await lockTool({
      workspaceRoot: target.workspaceRoot,
      requirementsFile: target.resolvePath(options.requirements),
      lockFile,
      python: options.python,
      interpreterConstraints: options.interpreterConstraints,
      index: indexOptions(options, context),
    });
    logger.info(
      `pex: locked ${lock.artifacts.length} distributions for ${lock.interpreter.tag} into ${path.relative(target.workspaceRoot, lockFile)}`,
    );
  });
}
