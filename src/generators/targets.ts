import type { TargetConfiguration } from '@nx/devkit';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/**
 * Target defaults, keyed by executor, that `pex:init` writes into nx.json. Every input that changes
 * a result is here and nothing else: the archive depends only on the lock, the requirements, the
 * tool's own sources and this plugin's version (wheels are pinned by sha256); a venv also depends
 * on the local interpreter its bin/python links to.
 */
const toolInputs: Input[] = [
  '{projectRoot}/requirements.txt',
  '{projectRoot}/pex.lock.json',
  '{projectRoot}/src/**/*',
  { externalDependencies: ['pex'] },
];

export const interpreterInput: Input = {
  runtime: 'python3 -c "import os,sys;print(os.path.realpath(sys.executable),sys.version)"',
};

export const pexTargetDefaults: Record<string, Partial<TargetConfiguration>> = {
  'pex:lock': {
    cache: false,
  },
  'pex:pex': {
    cache: true,
    inputs: toolInputs,
    outputs: ['{workspaceRoot}/dist/{projectRoot}/{projectName}.pex'],
  },
  'pex:venv': {
    cache: true,
    dependsOn: ['pex'],
    inputs: [...toolInputs, interpreterInput],
    outputs: ['{workspaceRoot}/dist/{projectRoot}/venv'],
  },
  // The tool's own archive, or (in a consumer project) the archives of the tools it depends on.
  'pex:run': {
    dependsOn: ['pex', '^pex'],
  },
};
