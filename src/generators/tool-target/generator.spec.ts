import { addProjectConfiguration, readNxJson, readProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { splitArgs, toolTargetGenerator } from './generator';

describe('pex:tool-target', () => {
  const workspace = () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'black', { root: 'tools/black', targets: { pex: { executor: 'pex:pex' } } });
    addProjectConfiguration(tree, 'app', { root: 'apps/app', targets: {} });
    return tree;
  };

  test('adds a cached pex:run target with the project files and the tool lock as inputs', () => {
    const tree = workspace();
    toolTargetGenerator(tree, { project: 'app', tool: 'black', target: 'format', args: '--check {projectRoot}' });
    expect(readProjectConfiguration(tree, 'app').targets?.format).toEqual({
      executor: 'pex:run',
      cache: true,
      inputs: ['{projectRoot}/**/*', '{workspaceRoot}/tools/black/pex.lock.json', '{workspaceRoot}/tools/black/src/**/*'],
      options: { tool: 'black', args: ['--check', '{projectRoot}'] },
    });
    expect(readNxJson(tree)?.plugins).toContain('pex');
  });

  test.each([
    [{ project: 'app', tool: 'nope', target: 'format' }, /'nope' is not a tool project/],
    [{ project: 'app', tool: 'app', target: 'format' }, /'app' is not a tool project/],
    [{ project: 'ghost', tool: 'black', target: 'format' }, /project 'ghost' does not exist/],
    [{ project: 'app', tool: 'black', target: 'bad name' }, /invalid target name/],
  ])('refuses %j', (options, message) => {
    const tree = workspace();
    expect(() => toolTargetGenerator(tree, options)).toThrow(message);
  });

  test('refuses to overwrite an existing target', () => {
    const tree = workspace();
    toolTargetGenerator(tree, { project: 'app', tool: 'black', target: 'format' });
    expect(() => toolTargetGenerator(tree, { project: 'app', tool: 'black', target: 'format' })).toThrow(/already has a target 'format'/);
  });

  test('splitArgs keeps quoted spaces', () => {
    expect(splitArgs(`--check "a b" 'c d' e\\"f`)).toEqual(['--check', 'a b', 'c d', 'e\\"f']);
    expect(splitArgs('')).toEqual([]);
  });
});
