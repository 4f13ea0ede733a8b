import { readNxJson, Tree, updateNxJson } from '@nx/devkit';
import { pexTargetDefaults } from '../targets';
import type { InitGeneratorSchema } from './schema';

/** Adds `pex` to nx.json plugins (for createDependencies) and target defaults the user has not set. */
export function initGenerator(tree: Tree, _options: InitGeneratorSchema = {}): void {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (!plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === 'pex')) {
    nxJson.plugins = [...plugins, 'pex'];
  }
  nxJson.targetDefaults = nxJson.targetDefaults ?? {};
  for (const [executor, defaults] of Object.entries(pexTargetDefaults)) {
    nxJson.targetDefaults[executor] = nxJson.targetDefaults[executor] ?? defaults;
  }
  updateNxJson(tree, nxJson);
}

export default initGenerator;
