import { formatFiles, getProjects, readNxJson, readProjectConfiguration, Tree, updateProjectConfiguration } from '@nx/devkit';
import { PexError } from '../../core/common';
import { LOCK_FILE, LOCK_FILES, normalizeOptions, pluginOptionsOf } from '../../plugins/options';
import { initGenerator } from '../init/generator';
import { isToolProject } from '../init/migrate';
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

export async function toolTargetGenerator(tree: Tree, options: ToolTargetGeneratorSchema): Promise<void> {
  const projects = getProjects(tree);
  const tool = projects.get(options.tool);
  // The tool's pex target: the one in its project.json, else the one the plugin infers.
  const explicitPex = Object.entries(tool?.targets ?? {}).find(([, t]) => t.executor === 'pex:pex')?.[0];
  if (!tool || (!explicitPex && !isToolProject(tree, tool.root))) {
    throw new PexError(
      `'${options.tool}' is not a tool project (no requirements.txt and lock)`,
      '--tool',
      `create it with nx g pex:tool ${options.tool}`,
    );
  }
  if (!projects.has(options.project)) {
    throw new PexError(`project '${options.project}' does not exist`, '--project', 'check the name with nx show projects');
  }
  if (!TARGET_NAME.test(options.target)) {
    throw new PexError(`invalid target name '${options.target}'`, '--target', "use letters, digits, '_', '-', '.' or ':'");
  }
  const project = readProjectConfiguration(tree, options.project);
  if (project.targets?.[options.target]) {
    throw new PexError(
      `project '${options.project}' already has a target '${options.target}'`,
      `${project.root}/project.json`,
      'choose another --target',
    );
  }
  const pexTarget = explicitPex ?? normalizeOptions(pluginOptionsOf(readNxJson(tree))).pexTargetName;
  const lockFile = LOCK_FILES.find((f) => tree.exists(`${tool.root}/${f}`)) ?? LOCK_FILE;
  project.targets = {
    ...project.targets,
    [options.target]: {
      executor: 'pex:run',
      cache: options.cache ?? true,
      // The project's own files and the tool's lock: a new tool version re-runs every consumer.
      inputs: ['{projectRoot}/**/*', `{workspaceRoot}/${tool.root}/${lockFile}`, `{workspaceRoot}/${tool.root}/src/**/*`],
      // Exactly the archive this target runs, not every tool the project depends on.
      dependsOn: [{ projects: [options.tool], target: pexTarget }],
      options: { tool: options.tool, ...(options.script ? { script: options.script } : {}), args: splitArgs(options.args ?? '') },
    },
  };
  updateProjectConfiguration(tree, options.project, project);
  await initGenerator(tree, { skipFormat: true });
  if (!options.skipFormat) await formatFiles(tree);
}

export default withErrorPrefix(toolTargetGenerator);
