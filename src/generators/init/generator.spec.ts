import { addProjectConfiguration, readJson, readNxJson, readProjectConfiguration, Tree, updateNxJson, writeJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';
import migration from './migrate';

// addPlugin checks inferred target names against the graph; these workspaces have no other targets.
jest.mock('@nx/devkit', () => ({
  ...jest.requireActual('@nx/devkit'),
  createProjectGraphAsync: jest.fn(async () => ({ nodes: {}, dependencies: {} })),
}));

const oldTargetDefaults = {
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

/** A workspace as today's plugin made it: bare "pex" entry, executor-keyed defaults, targets in project.json. */
function oldWorkspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  const nxJson = readNxJson(tree)!;
  nxJson.plugins = ['pex'];
  nxJson.targetDefaults = { ...oldTargetDefaults, 'pex:pex': { ...oldTargetDefaults['pex:pex'], cache: false }, build: { cache: true } };
  updateNxJson(tree, nxJson);
  addProjectConfiguration(tree, 'black', {
    root: 'tools/black',
    targets: {
      lock: { executor: 'pex:lock', options: { interpreterConstraints: ['>=3.9'] } },
      pex: { executor: 'pex:pex', options: { script: 'black' } },
      venv: { executor: 'pex:venv' },
      run: { executor: 'pex:run' },
      other: { executor: 'pex:pex', options: { outputPath: 'dist/other.pex' } },
    },
  });
  tree.write('tools/black/requirements.txt', 'black==23.1.0\n');
  tree.write('tools/black/pex.lock.json', '{}\n');
  addProjectConfiguration(tree, 'app', { root: 'apps/app', targets: { format: { executor: 'pex:run', options: { tool: 'black' } } } });
  return tree;
}

describe('pex:init', () => {
  test('registers the plugin with its target names, the sync generator and dist in .gitignore, once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree);
    await initGenerator(tree);
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins).toEqual([
      { plugin: 'pex', options: { lockTargetName: 'lock', pexTargetName: 'pex', venvTargetName: 'venv', runTargetName: 'run' } },
    ]);
    expect(nxJson.sync?.globalGenerators).toEqual(['pex:sync']);
    expect(nxJson.targetDefaults?.['pex:pex']).toBeUndefined();
    expect(
      tree
        .read('.gitignore', 'utf8')!
        .split('\n')
        .filter((l) => l === 'dist'),
    ).toHaveLength(1);
  });

  test('creates nx.json when there is none', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.delete('nx.json');
    await initGenerator(tree);
    expect(readJson(tree, 'nx.json').plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
  });

  test('keeps a plugin entry with options the user set, and an ignored dist folder', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = [{ plugin: 'pex', options: { findLinks: ['wheels'], distDir: 'out' } }];
    updateNxJson(tree, nxJson);
    tree.write('.gitignore', 'node_modules\n/out/\n');
    await initGenerator(tree);
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: 'pex', options: { findLinks: ['wheels'], distDir: 'out' } }]);
    expect(tree.read('.gitignore', 'utf8')).toBe('node_modules\n/out/\n');
  });

  test.each([
    ['pex:init', (tree: Tree) => initGenerator(tree)],
    ['the migration', (tree: Tree) => migration(tree)],
  ])('%s converts a workspace with executor-keyed target defaults, keeping what the user changed', async (_what, convert) => {
    const tree = oldWorkspace();
    await convert(tree);
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins).toEqual([
      { plugin: 'pex', options: { lockTargetName: 'lock', pexTargetName: 'pex', venvTargetName: 'venv', runTargetName: 'run' } },
    ]);
    // Only the field the user changed stays; it still applies to the inferred pex target by executor.
    expect(nxJson.targetDefaults).toEqual({ 'pex:pex': { cache: false }, build: { cache: true } });
    expect(readProjectConfiguration(tree, 'black').targets).toEqual({
      lock: { options: { interpreterConstraints: ['>=3.9'] } },
      pex: { options: { script: 'black' } },
      other: { executor: 'pex:pex', options: { outputPath: 'dist/other.pex' } },
    });
    expect(readProjectConfiguration(tree, 'app').targets?.format).toEqual({
      executor: 'pex:run',
      options: { tool: 'black' },
      dependsOn: [{ projects: ['black'], target: 'pex' }],
    });
  });

  test('a converted workspace is left as it is by a second run', async () => {
    const tree = oldWorkspace();
    await initGenerator(tree);
    const files = ['nx.json', 'tools/black/project.json', 'apps/app/project.json'].map((f) => tree.read(f, 'utf8'));
    await initGenerator(tree);
    writeJson(tree, 'unrelated.json', {});
    expect(['nx.json', 'tools/black/project.json', 'apps/app/project.json'].map((f) => tree.read(f, 'utf8'))).toEqual(files);
  });
});
