import { addProjectConfiguration, readNxJson, readProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { splitArgs, toolTargetGenerator } from './generator';

jest.mock('@nx/devkit', () => ({
  ...jest.requireActual('@nx/devkit'),
  createProjectGraphAsync: jest.fn(async () => ({ nodes: {}, dependencies: {} })),
}));

describe('pex:tool-target', () => {
  // black: a tool project with inferred targets (requirements.txt beside its lock); app: any project.
  const workspace = () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'black', { root: 'tools/black', targets: {} });
    tree.write('tools/black/requirements.txt', 'black==23.1.0\n');
    tree.write('tools/black/pylock.toml', '{}\n');
    addProjectConfiguration(tree, 'app', { root: 'apps/app', targets: {} });
    return tree;
  };
  const make = (tree: ReturnType<typeof workspace>, options: Parameters<typeof toolTargetGenerator>[1]) =>
    toolTargetGenerator(tree, { skipFormat: true, ...options });

  test(
    "adds a cached pex:run target with the project files and the tool lock as inputs, depending on exactly the tool's " + 'pex target',
    async () => {
      const tree = workspace();
      await make(tree, { project: 'app', tool: 'black', target: 'format', args: '--check {projectRoot}' });
      expect(readProjectConfiguration(tree, 'app').targets?.format).toEqual({
        executor: 'pex:run',
        cache: true,
        inputs: ['{projectRoot}/**/*', '{workspaceRoot}/tools/black/pylock.toml', '{workspaceRoot}/tools/black/src/**/*'],
        dependsOn: [{ projects: ['black'], target: 'pex' }],
        options: { tool: 'black', args: ['--check', '{projectRoot}'] },
      });
      expect(readNxJson(tree)?.plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
    },
  );

  test("--script picks one tool of a multi-tool archive; the pex target's name follows the plugin options", async () => {
    const tree = workspace();
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = [{ plugin: 'pex', options: { pexTargetName: 'build-pex' } }];
    tree.write('nx.json', JSON.stringify(nxJson));
    await make(tree, { project: 'app', tool: 'black', target: 'lint', script: 'flake8' });
    expect(readProjectConfiguration(tree, 'app').targets?.lint).toMatchObject({
      dependsOn: [{ projects: ['black'], target: 'build-pex' }],
      options: { tool: 'black', script: 'flake8', args: [] },
    });
  });

  test('a tool project with its own pex:pex target is named by that target', async () => {
    const tree = workspace();
    addProjectConfiguration(tree, 'old', { root: 'tools/old', targets: { archive: { executor: 'pex:pex' } } });
    await make(tree, { project: 'app', tool: 'old', target: 'format' });
    expect(readProjectConfiguration(tree, 'app').targets?.format.dependsOn).toEqual([{ projects: ['old'], target: 'archive' }]);
  });

  test.each([
    [
      { project: 'app', tool: 'nope', target: 'format' },
      /^'nope' is not a tool project \(no requirements\.txt and lock\), --tool: create it with nx g pex:tool nope$/,
    ],
    [{ project: 'app', tool: 'app', target: 'format' }, /^'app' is not a tool project \(.*\), --tool: /],
    [
      { project: 'ghost', tool: 'black', target: 'format' },
      /^project 'ghost' does not exist, --project: check the name with nx show projects$/,
    ],
    [{ project: 'app', tool: 'black', target: 'bad name' }, /^invalid target name 'bad name', --target: use letters, /],
  ])('refuses %j', async (options, message) => {
    const tree = workspace();
    await expect(make(tree, options)).rejects.toThrow(message);
  });

  test('refuses to overwrite an existing target', async () => {
    const tree = workspace();
    await make(tree, { project: 'app', tool: 'black', target: 'format' });
    await expect(make(tree, { project: 'app', tool: 'black', target: 'format' })).rejects.toThrow(
      /^project 'app' already has a target 'format', apps\/app\/project\.json: choose another --target$/,
    );
  });

  test('splitArgs keeps quoted spaces', () => {
    expect(splitArgs(`--check "a b" 'c d' e\\"f`)).toEqual(['--check', 'a b', 'c d', 'e\\"f']);
    expect(splitArgs('')).toEqual([]);
  });
});
