import {
  getProjects,
  NxJsonConfiguration,
  readNxJson,
  TargetConfiguration,
  Tree,
  updateNxJson,
  updateProjectConfiguration,
} from '@nx/devkit';
import { isDeepStrictEqual } from 'node:util';
import {
  defaultTargetNames,
  isPexEntry,
  LOCK_FILES,
  normalizeOptions,
  PLUGIN_NAME,
  pluginOptionsOf,
  REQUIREMENTS_FILE,
} from '../../plugins/options';

/** The executor-keyed target defaults that pex:init wrote into nx.json before targets were inferred. */
const executorKeyedDefaults: Record<string, Partial<TargetConfiguration>> = {
  'pex:lock': { cache: false },
  'pex:pex': {
    cache: true,
    inputs: ['{projectRoot}/requirements.txt', '{projectRoot}/pex.lock.json', '{projectRoot}/src/**/*', { externalDependencies: ['pex'] }],
    outputs: ['{workspaceRoot}/dist/{projectRoot}/{projectName}.pex'],
  },
  'pex:venv': {
    cache: true,
    dependsOn: ['pex'],
    inputs: [
      '{projectRoot}/requirements.txt',
      '{projectRoot}/pex.lock.json',
      '{projectRoot}/src/**/*',
      { externalDependencies: ['pex'] },
      { runtime: 'python3 -c "import os,sys;print(os.path.realpath(sys.executable),sys.version)"' },
    ],
    outputs: ['{workspaceRoot}/dist/{projectRoot}/venv'],
  },
  'pex:run': { dependsOn: ['pex', '^pex'] },
};

const executorOf: Record<string, keyof typeof defaultTargetNames> = {
  'pex:lock': 'lockTargetName',
  'pex:pex': 'pexTargetName',
  'pex:venv': 'venvTargetName',
  'pex:run': 'runTargetName',
};

export const isToolProject = (tree: Tree, root: string) =>
  tree.exists(`${root}/${REQUIREMENTS_FILE}`) && LOCK_FILES.some((f) => tree.exists(`${root}/${f}`));

/** Keeps only the fields a user changed from what pex:init wrote; undefined when nothing is left. */
function customised(
  written: Partial<TargetConfiguration>,
  current: Partial<TargetConfiguration>,
): Partial<TargetConfiguration> | undefined {
  const kept = Object.fromEntries(
    Object.entries(current).filter(([k, v]) => !isDeepStrictEqual(v, written[k as keyof TargetConfiguration])),
  );
  return Object.keys(kept).length ? kept : undefined;
}

/**
 * Converts a workspace made before targets were inferred: the bare `"pex"` entry becomes one with
 * options, the target defaults pex:init wrote go (any field a user changed stays, and still applies
 * by executor), tool projects lose the targets the plugin now infers (options and other fields a user
 * set stay, as overrides), and consumer targets depend on exactly the tool they run. Returns whether
 * anything changed.
 */
export function migrateToInferredTargets(tree: Tree): boolean {
  const nxJson: NxJsonConfiguration | null = tree.exists('nx.json') ? readNxJson(tree) : null;
  if (!nxJson) return false;
  let changed = false;
  const index = nxJson.plugins?.findIndex(isPexEntry) ?? -1;
  if (index >= 0 && typeof nxJson.plugins![index] === 'string') {
    nxJson.plugins![index] = { plugin: PLUGIN_NAME, options: { ...defaultTargetNames } };
    changed = true;
  }
  for (const [executor, written] of Object.entries(executorKeyedDefaults)) {
    const current = nxJson.targetDefaults?.[executor];
    if (!current || Array.isArray(current)) continue;
    const kept = customised(written, current);
    if (kept) nxJson.targetDefaults![executor] = kept;
    else delete nxJson.targetDefaults![executor];
    changed = true;
  }
  if (nxJson.targetDefaults && Object.keys(nxJson.targetDefaults).length === 0) delete nxJson.targetDefaults;
  if (changed) updateNxJson(tree, nxJson);

  const names = normalizeOptions(pluginOptionsOf(nxJson));
  for (const [name, project] of getProjects(tree)) {
    let projectChanged = false;
    const targets = project.targets ?? {};
    for (const [targetName, target] of Object.entries(targets)) {
      const inferredName = target.executor ? names[executorOf[target.executor]] : undefined;
      if (inferredName === targetName && isToolProject(tree, project.root)) {
        // What is left after the executor is an override of the inferred target.
        const { executor: _executor, ...rest } = target;
        const overrides = Object.fromEntries(
          Object.entries(rest).filter(([, v]) => !(v && typeof v === 'object' && Object.keys(v).length === 0)),
        );
        if (Object.keys(overrides).length) targets[targetName] = overrides;
        else delete targets[targetName];
        projectChanged = true;
      } else if (target.executor === 'pex:run' && typeof target.options?.tool === 'string' && !target.dependsOn) {
        target.dependsOn = [{ projects: [target.options.tool], target: names.pexTargetName }];
        projectChanged = true;
      }
    }
    if (projectChanged) {
      updateProjectConfiguration(tree, name, { ...project, targets });
      changed = true;
    }
  }
  return changed;
}

/** The nx migrate entry (migrations.json): the same conversion pex:init makes. */
export default function migration(tree: Tree): void {
  migrateToInferredTargets(tree);
}
