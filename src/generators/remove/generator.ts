import { formatFiles, getProjects, Tree, updateProjectConfiguration, visitNotIgnoredFiles } from '@nx/devkit';
import { PexError } from '../../core/common';
import { isToolProject } from '../init/migrate';
import { withErrorPrefix } from '../errors';
import type { RemoveGeneratorSchema } from './schema';

/**
 * Removes a tool project as @nx/workspace:remove removes a project: refused while another project
 * still uses it (here: a target that runs the tool), unless --forceRemove, which also removes those
 * targets; other projects' implicitDependencies on it go; then the project's files.
 */
export async function removeGenerator(tree: Tree, options: RemoveGeneratorSchema): Promise<void> {
  const name = options.projectName;
  const projects = getProjects(tree);
  const project = projects.get(name);
  if (!project) {
    throw new PexError(`project '${name}' does not exist`, 'the projectName argument', 'check the name with nx show projects');
  }
  const hasPexTarget = Object.values(project.targets ?? {}).some((t) => t.executor === 'pex:pex');
  if (!hasPexTarget && !isToolProject(tree, project.root)) {
    throw new PexError(`'${name}' is not a tool project`, project.root, `remove it with nx g @nx/workspace:remove ${name}`);
  }
  const consumers: Array<[string, string]> = [];
  for (const [other, config] of projects) {
    if (other === name) continue;
    for (const [target, t] of Object.entries(config.targets ?? {})) {
      if (t.executor === 'pex:run' && t.options?.tool === name) consumers.push([other, target]);
    }
  }
  if (consumers.length && !options.forceRemove) {
    const many = consumers.length > 1;
    throw new PexError(
      `'${name}' is still run by ${many ? "other projects' targets" : "another project's target"}`,
      consumers.map(([p, t]) => `${p}:${t}`).join(', '),
      `remove ${many ? 'those targets' : 'that target'}, or pass --forceRemove to remove ${many ? 'them' : 'it'} too`,
    );
  }
  for (const [other, config] of projects) {
    if (other === name) continue;
    const targets = { ...config.targets };
    consumers.filter(([p]) => p === other).forEach(([, t]) => delete targets[t]);
    const implicit = config.implicitDependencies?.filter((d) => d !== name && d !== `!${name}`);
    const changed =
      Object.keys(targets).length !== Object.keys(config.targets ?? {}).length || implicit?.length !== config.implicitDependencies?.length;
    if (changed) updateProjectConfiguration(tree, other, { ...config, targets, ...(implicit ? { implicitDependencies: implicit } : {}) });
  }
  visitNotIgnoredFiles(tree, project.root, (file) => tree.delete(file));
  tree.delete(project.root);
  if (!options.skipFormat) await formatFiles(tree);
}

export default withErrorPrefix(removeGenerator);
