import { addProjectConfiguration, getProjects, readProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { PexError } from '../../core/common';
import { removeGenerator } from './generator';

describe('pex:remove', () => {
  const workspace = () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'black', { root: 'tools/black', targets: { pex: { options: { script: 'black' } } } });
    tree.write('tools/black/requirements.txt', 'black==23.1.0\n');
    tree.write('tools/black/pylock.toml', '{}\n');
    tree.write('tools/black/src/extra.py', 'X = 1\n');
    addProjectConfiguration(tree, 'app', {
      root: 'apps/app',
      implicitDependencies: ['black', 'lib'],
      targets: {
        format: { executor: 'pex:run', options: { tool: 'black' } },
        'format-check': { executor: 'pex:run', options: { tool: 'black', args: ['--check'] } },
        build: { executor: 'nx:run-commands', options: { command: 'true' } },
      },
    });
    addProjectConfiguration(tree, 'lib', { root: 'libs/lib', targets: {} });
    return tree;
  };

  test('a tool no target runs is removed with its files', async () => {
    const tree = workspace();
    addProjectConfiguration(tree, 'ruff', { root: 'tools/ruff' });
    tree.write('tools/ruff/requirements.txt', 'ruff\n');
    tree.write('tools/ruff/pylock.toml', '{}\n');
    await removeGenerator(tree, { projectName: 'ruff', skipFormat: true });
    expect(getProjects(tree).has('ruff')).toBe(false);
    expect(tree.children('tools')).toEqual(['black']);
  });

  test('a tool a consumer still runs is refused in one line naming the consumer targets, and nothing changes', async () => {
    const tree = workspace();
    const before = tree.listChanges().length;
    const error = await removeGenerator(tree, { projectName: 'black', skipFormat: true }).catch((e) => e);
    expect(error).toBeInstanceOf(PexError);
    expect(error.message).toBe(
      "'black' is still run by other projects' targets, app:format, app:format-check: remove those targets, or pass " +
        '--forceRemove to remove them too',
    );
    expect(tree.listChanges()).toHaveLength(before);
  });

  test('--forceRemove removes the tool, the targets that run it and implicit dependencies on it', async () => {
    const tree = workspace();
    await removeGenerator(tree, { projectName: 'black', forceRemove: true, skipFormat: true });
    expect(getProjects(tree).has('black')).toBe(false);
    expect(tree.exists('tools/black/src/extra.py')).toBe(false);
    const app = readProjectConfiguration(tree, 'app');
    expect(Object.keys(app.targets ?? {})).toEqual(['build']);
    expect(app.implicitDependencies).toEqual(['lib']);
  });

  test.each([
    ['ghost', /^project 'ghost' does not exist, the projectName argument: check the name with nx show projects$/],
    ['lib', /^'lib' is not a tool project, libs\/lib: remove it with nx g @nx\/workspace:remove lib$/],
  ])('refuses %s', async (projectName, message) => {
    await expect(removeGenerator(workspace(), { projectName })).rejects.toThrow(message);
  });
});
