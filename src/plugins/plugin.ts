import { CreateDependencies, DependencyType, RawProjectGraphDependency } from '@nx/devkit';

/**
 * A project whose target runs another project's tool (`pex:run` with `tool`) depends on that tool
 * project, so `nx affected` reaches every consumer when the tool's lock changes.
 */
export const createDependencies: CreateDependencies = (_options, context) => {
  const dependencies: RawProjectGraphDependency[] = [];
  for (const [source, project] of Object.entries(context.projects)) {
    const tools = new Set<string>();
    for (const target of Object.values(project.targets ?? {})) {
      const tool = target.executor === 'pex:run' ? target.options?.tool : undefined;
      if (typeof tool === 'string' && tool !== source && context.projects[tool]) tools.add(tool);
    }
    for (const tool of tools) dependencies.push({ source, target: tool, type: DependencyType.implicit });
  }
  return dependencies;
};
