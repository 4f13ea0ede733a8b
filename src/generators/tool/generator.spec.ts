import { addProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { PexError } from '../../core/common';
import { toolGenerator } from './generator';

// Input validation happens before pip runs, so these need no index; the e2e suite covers the rest.
describe('pex:tool input validation', () => {
  const cases: Array<[string, Parameters<typeof toolGenerator>[1], RegExp]> = [
    ['an invalid name', { name: 'Bad Name!' }, /invalid tool name 'Bad Name!'/],
    ['a bad requirement', { name: 'black', requirements: 'black>=' }, /--requirements 'black>=' is not a valid requirement: /],
    ['an empty requirement list', { name: 'black', requirements: [] }, /--requirements is empty/],
    ['script and entry point together', { name: 'black', script: 'black', entryPoint: 'black:main' }, /--script and --entryPoint/],
    ['a malformed entry point', { name: 'black', entryPoint: 'black:' }, /--entryPoint 'black:' is not module or module:function/],
    ['bad interpreter constraints', { name: 'black', python: '>>3.9' }, /./],
  ];
  test.each(cases)('rejects %s with one line and writes nothing', async (_what, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    const before = tree.listChanges().length;
    const error = await toolGenerator(tree, options).catch((e) => e);
    expect(error).toBeInstanceOf(PexError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(tree.listChanges()).toHaveLength(before);
  });

  test('rejects an existing project or directory', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'black', { root: 'tools/black' });
    await expect(toolGenerator(tree, { name: 'black' })).rejects.toThrow(/project 'black' already exists/);
    await expect(toolGenerator(tree, { name: 'black2', directory: 'tools/black' })).rejects.toThrow(/tools\/black\/project.json already exists/);
  });
});
