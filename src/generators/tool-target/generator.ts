import { readProjectConfiguration, Tree, updateProjectConfiguration, getProjects } from '@nx/devkit';
import { PexError } from '../../core/common';
import { initGenerator } from '../init/generator';
import { withErrorPrefix } from '../errors';
import type { ToolTargetGeneratorSchema } from './schema';

const TARGET_NAME = /^[A-Za-z0-9][\w:.-]*$/;

/** Splits an argument string like a shell would for quotes and spaces; nothing else is interpreted. */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(args))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return out;
}

export function toolTargetGenerator(tree: Tree, options: ToolTargetGeneratorSchema): void {
  const projects = getProjects(tree);
  const tool = projects.get(options.tool);
  if (!tool || tool.targets?.pex?.executor !== 'pex:pex') {
    throw new PexError(`'${options.tool}' is not a tool project (no pex:pex target): create it with nx g pex:tool ${options.tool}`);
  }
  if (!projects.has(options.project)) {
    throw new PexError(`project '${options.project}' does not exist: check the name with nx show projects`);
  }
  if (!TARGET_NAME.test(options.target)) {
    throw new PexError(`invalid target name '${options.target}': use letters, digits, '_', '-', '.' or ':'`);
  }
  const project = readProjectConfiguration(tree, options.project);
  if (project.targets?.[options.target]) {
    throw new PexError(`project '${options.project}' already has a target '${options.target}': choose another --target`);
  }
  project.targets = {
    ...project.targets,
    [options.target]: {
      executor: 'pex:run',
      cache: options.cache ?? true,
      // The project's own files and the tool's lock: a new tool version re-runs every consumer.
      inputs: ['{projectRoot}/**/*', `{workspaceRoot}/${tool.root}/pex.lock.json`, `{workspaceRoot}/${tool.root}/src/**/*`],
      options: { tool: options.tool, args: splitArgs(options.args ?? '') },
    },
  };
  updateProjectConfiguration(tree, options.project, project);
  initGenerator(tree);
}

export default withErrorPrefix(toolTargetGenerator);
