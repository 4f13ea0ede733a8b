import { createProjectGraphAsync, formatFiles, readNxJson, Tree, updateNxJson, writeJson } from '@nx/devkit';
import { addPlugin } from '@nx/devkit/internal';
import { createNodesV2 } from '../../plugins/plugin';
import { DEFAULT_DIST_DIR, isPexEntry, PexPluginOptions, PLUGIN_NAME, pluginOptionsOf } from '../../plugins/options';
import { migrateToInferredTargets } from './migrate';
import type { InitGeneratorSchema } from './schema';

export const SYNC_GENERATOR = 'pex:sync';

/** What addPlugin tries, in order, until no inferred target name collides with a project's own target. */
const targetNameChoices: Partial<Record<keyof PexPluginOptions, string[]>> = {
  lockTargetName: ['lock', 'pex-lock'],
  pexTargetName: ['pex', 'pex-build'],
  venvTargetName: ['venv', 'pex-venv'],
  runTargetName: ['run', 'pex-run'],
};

function ensureGitignored(tree: Tree, distDir: string): void {
  const text = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf8')! : '';
  const ignored = text.split('\n').some((l) => [distDir, `${distDir}/`, `/${distDir}`, `/${distDir}/`].includes(l.trim()));
  if (!ignored) tree.write('.gitignore', `${text}${text && !text.endsWith('\n') ? '\n' : ''}${distDir}\n`);
}

/**
 * Registers the plugin (creating nx.json when there is none), converts a workspace made with
 * executor-keyed target defaults, ignores the dist folder in git, and adds the sync generator that
 * makes `nx sync:check` fail on a stale lock. Running it again changes nothing.
 */
export async function initGenerator(tree: Tree, options: InitGeneratorSchema = {}): Promise<void> {
  if (!tree.exists('nx.json')) writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json' });
  migrateToInferredTargets(tree);
  if (!readNxJson(tree)!.plugins?.some(isPexEntry)) {
    await addPlugin(tree, await createProjectGraphAsync(), PLUGIN_NAME, createNodesV2, targetNameChoices, false);
  }
  const nxJson = readNxJson(tree)!;
  const sync = nxJson.sync ?? {};
  if (!sync.globalGenerators?.includes(SYNC_GENERATOR)) {
    nxJson.sync = { ...sync, globalGenerators: [...(sync.globalGenerators ?? []), SYNC_GENERATOR] };
    updateNxJson(tree, nxJson);
  }
  ensureGitignored(tree, pluginOptionsOf(nxJson).distDir?.replace(/\/+$/, '') ?? DEFAULT_DIST_DIR);
  if (!options.skipFormat) await formatFiles(tree);
}

export default initGenerator;
