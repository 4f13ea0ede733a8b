import { addProjectConfiguration, readJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { PexError } from '../../core/common';
import { toolGenerator } from './generator';

jest.mock('@nx/devkit', () => ({
  ...jest.requireActual('@nx/devkit'),
  createProjectGraphAsync: jest.fn(async () => ({ nodes: {}, dependencies: {} })),
}));

// Input validation happens before anything is written, and pip runs only in the returned task; the e2e suite covers that task.
describe('pex:tool input validation', () => {
  const cases: Array<[string, Parameters<typeof toolGenerator>[1], RegExp]> = [
    [
      'an invalid name',
      { name: 'Bad Name!' },
      /^invalid tool name 'Bad Name!', the name argument: use letters, digits, '\.', '_' or '-', starting with a letter or digit$/,
    ],
    [
      'a bad requirement',
      { name: 'black', requirements: 'black>=' },
      /^'black>=' is not a valid requirement \(.+\), --requirements: write it like 'black==23\.1\.0' or 'requests\[socks\]>=2\.28'$/,
    ],
    [
      'an empty requirement list',
      { name: 'black', requirements: [] },
      /^no requirement is given, --requirements: give at least one, e\.g\. --requirements "black==23\.1\.0"$/,
    ],
    [
      'script and entry point together',
      { name: 'black', script: 'black', entryPoint: 'black:main' },
      /^a script and an entry point are both given, --script black --entryPoint black:main: give one of them$/,
    ],
    [
      'a malformed entry point',
      { name: 'black', entryPoint: 'black:' },
      /^'black:' is not module or module:function, --entryPoint: write it like black:patched_main$/,
    ],
    ['bad interpreter constraints', { name: 'black', python: '>>3.9' }, /./],
    [
      'an unknown platform',
      { name: 'black', platforms: 'linux_x86_64,darwin' },
      /^unknown platform 'darwin', --platforms: use some of linux_x86_64, linux_aarch64, macos_arm64, macos_x86_64/,
    ],
    [
      'a directory outside the workspace',
      { name: 'ev', directory: '../../evil' },
      /^'\.\.\/\.\.\/evil' is outside the workspace, --directory: give a folder inside it, e.g. tools\/ev$/,
    ],
    [
      'an absolute directory outside the workspace',
      { name: 'ev', directory: '/tmp/evil' },
      /^'\/tmp\/evil' is outside the workspace, --directory: /,
    ],
    ['the workspace root itself', { name: 'ev', directory: 'tools/..' }, /^'tools\/\.\.' is outside the workspace, --directory: /],
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
    await expect(toolGenerator(tree, { name: 'black' })).rejects.toThrow(
      /^project 'black' already exists, tools\/black: choose another name, or edit its requirements\.txt and run nx run black:lock$/,
    );
    await expect(toolGenerator(tree, { name: 'black2', directory: 'tools/black' })).rejects.toThrow(
      /^the directory already holds a project, tools\/black\/project\.json: choose another --directory$/,
    );
  });
});

describe('pex:tool writes only the tree', () => {
  test(
    'requirements.txt, a project.json without pex/venv/lock/run targets of its own, and the plugin entry; ' +
      'the lock is left to the task',
    async () => {
      const tree = createTreeWithEmptyWorkspace();
      const task = await toolGenerator(tree, { name: 'black', requirements: ['black==23.1.0'], tags: 'tool', skipFormat: true });
      expect(typeof task).toBe('function');
      expect(tree.read('tools/black/requirements.txt', 'utf8')).toBe('black==23.1.0\n');
      expect(readJson(tree, 'tools/black/project.json')).toEqual({
        name: 'black',
        $schema: '../../node_modules/nx/schemas/project-schema.json',
        '// targets': 'to see all targets run: nx show project black --web',
        projectType: 'application',
        tags: ['tool'],
        targets: {},
      });
      expect(tree.exists('tools/black/pylock.toml')).toBe(false);
      expect(readJson(tree, 'nx.json').plugins).toEqual([expect.objectContaining({ plugin: 'pex' })]);
    },
  );

  test('--script, --entryPoint and --python become overrides of the inferred targets', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await toolGenerator(tree, { name: 'black', script: 'blackd', python: '>=3.9,<3.14', skipFormat: true });
    expect(readJson(tree, 'tools/black/project.json').targets).toEqual({
      lock: { options: { interpreterConstraints: ['>=3.9,<3.14'] } },
      pex: { options: { script: 'blackd' } },
    });
    await toolGenerator(tree, { name: 'mypy', entryPoint: 'mypy.__main__:console_entry', skipFormat: true });
    expect(readJson(tree, 'tools/mypy/project.json').targets).toEqual({ pex: { options: { entryPoint: 'mypy.__main__:console_entry' } } });
  });

  test('a bare --python 3.11 means ==3.11.*', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await toolGenerator(tree, { name: 'black', python: '3.11', skipFormat: true });
    expect(readJson(tree, 'tools/black/project.json').targets.lock).toEqual({ options: { interpreterConstraints: ['==3.11.*'] } });
  });

  test.each([
    [3.11, '==3.11.*'],
    [3.1, '==3.10.*'],
    [3.9, '==3.9.*'],
  ])("--python %s as Nx's command line passes it (a number) means %s", async (python, constraint) => {
    const tree = createTreeWithEmptyWorkspace();
    await toolGenerator(tree, { name: 'black', python, skipFormat: true });
    expect(readJson(tree, 'tools/black/project.json').targets.lock).toEqual({ options: { interpreterConstraints: [constraint] } });
  });
});
