import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { PexError } from '../../core/common';
import { lockSummary } from '../../core/lock';
import { lockTool } from '../../core/workflows';
import { pluginOptionsOf } from '../../plugins/options';
import { indexOptions, runExecutorBody, toolTarget } from '../context';
import type { LockExecutorSchema } from './schema';

export default async function lockExecutor(options: LockExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    // Nx gives one value as a string when the option is passed once on the command line.
    const packages = ([] as string[]).concat(options.upgradePackage ?? []);
    if (options.upgrade && packages.length) {
      throw new PexError(
        'upgrade and upgradePackage are both set (upgrade already moves every package)',
        `upgradePackage ${packages.join(' ')}`,
        'keep one of them',
      );
    }
    const { lock, previous, changes, lockFile } = await lockTool({
      workspaceRoot: target.workspaceRoot,
      requirementsFile: target.resolvePath(options.requirements),
      lockFile: target.resolvePath(options.lockFile),
      python: options.python,
      interpreterConstraints: options.interpreterConstraints,
      platforms: options.platforms ?? pluginOptionsOf(context.nxJsonConfiguration).platforms,
      index: indexOptions(options, context),
      upgrade: { all: options.upgrade, packages },
      report,
    });
    const summary = previous
      ? changes.length
        ? `${changes.length} ${changes.length === 1 ? 'change' : 'changes'}:`
        : 'unchanged'
      : 'new lock:';
    report.info(`locked ${lockSummary(lock)} into ` + `${path.relative(target.workspaceRoot, lockFile)}, ${summary}`);
    for (const change of changes) report.info(`  ${change}`);
  });
}
