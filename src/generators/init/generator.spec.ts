import { readNxJson, updateNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';

describe('pex:init', () => {
  test('registers the plugin once and adds target defaults', () => {
    const tree = createTreeWithEmptyWorkspace();
    initGenerator(tree);
    initGenerator(tree);
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins?.filter((p) => p === 'pex')).toHaveLength(1);
    expect(nxJson.targetDefaults?.['pex:pex']).toMatchObject({ cache: true, outputs: ['{workspaceRoot}/dist/{projectRoot}/{projectName}.pex'] });
    expect(nxJson.targetDefaults?.['pex:venv']).toMatchObject({ cache: true, dependsOn: ['pex'] });
  });

  test('keeps a plugin entry with options and target defaults the user set', () => {
    const tree = createTreeWithEmptyWorkspace();
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = [{ plugin: 'pex', options: { findLinks: ['wheels'] } }];
    nxJson.targetDefaults = { 'pex:pex': { cache: false } };
    updateNxJson(tree, nxJson);
    initGenerator(tree);
    const after = readNxJson(tree)!;
    expect(after.plugins).toEqual([{ plugin: 'pex', options: { findLinks: ['wheels'] } }]);
    expect(after.targetDefaults?.['pex:pex']).toEqual({ cache: false });
  });
});
