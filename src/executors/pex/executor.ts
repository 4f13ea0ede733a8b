import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { parsePlatforms } from '../../core/python';
import { buildTool } from '../../core/workflows';
import { pluginVersion } from '../../version';
import { indexOptions, runExecutorBody, toolTarget } from '../context';
import type { PexExecutorSchema } from './schema';

export default async function pexExecutor(options: PexExecutorSchema, context: ExecutorContext) {
  return runExecutorBody(async (report) => {
    const target = toolTarget(context);
    const archive = await buildTool({
      workspaceRoot: target.workspaceRoot,
      requirementsFile: target.resolvePath(options.requirements),
      lockFile: target.resolvePath(options.lockFile),
      out: target.resolvePath(options.outputPath),
      script: options.script,
      entryPoint: options.entryPoint,
      sourcesDir: target.resolvePath(options.sources),
      python: options.python,
      platforms: options.platforms === undefined ? undefined : parsePlatforms(options.platforms, `${target.projectName}:pex platforms`),
      compile: options.compile,
      // The plugin's index options in nx.json: where a locked file that moved is looked for.
      index: indexOptions({}, context),
      report,
      lockCommand: `nx run ${target.projectName}:lock`,
      pluginVersion,
    });
    report.info(
      `wrote ${path.relative(target.workspaceRoot, archive.path)} (${(archive.size / 1024).toFixed(0)} KiB, pex_hash ` +
        `${archive.pexHash.slice(0, 12)})`,
    );
  });
}
