/* eslint-disable @typescript-eslint/no-explicit-any -- parsed TOML */
import { addProjectConfiguration, logger, readProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { parsePylock } from '../../core/lock';
import { parseRequirements, requirementsHash } from '../../core/requirements';
import migration from './pylock';

const reqs = parseRequirements('black==23.1.0\n--no-index\n--find-links ../../wheels\n', 'requirements.txt');
const sha = (c: string) => c.repeat(64);

/** A pex.lock.json as the plugin wrote it before pylock.toml (version 1: local files as workspace-relative file: URLs). */
const legacyLock = JSON.stringify({
  lockVersion: 1,
  requirements: reqs.requirements,
  pipOptions: reqs.pipOptions,
  requirementsHash: requirementsHash(reqs),
  interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' },
  interpreterConstraints: ['>=3.9,<3.14'],
  artifacts: [
    {
      name: 'black',
      version: '23.1.0',
      filename: 'black-23.1.0-py3-none-any.whl',
      url: 'file:wheels/black-23.1.0-py3-none-any.whl',
      sha256: sha('a'),
    },
    {
      name: 'click',
      version: '8.1.3',
      filename: 'click-8.1.3-py3-none-any.whl',
      url: 'https://host/click-8.1.3-py3-none-any.whl',
      sha256: sha('b'),
    },
  ],
});

describe('the pylock-toml migration', () => {
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(logger, 'warn').mockImplementation((m) => void warnings.push(String(m)));
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('converts each pex.lock.json to the pylock.toml beside it with the same pins, and points lockFile options at it', () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'black', {
      root: 'tools/black',
      targets: { lock: { options: { lockFile: '{projectRoot}/pex.lock.json', python: 'python3.11' } } },
    });
    tree.write('tools/black/requirements.txt', 'black==23.1.0\n');
    tree.write('tools/black/pex.lock.json', legacyLock);
    migration(tree);
    expect(tree.exists('tools/black/pex.lock.json')).toBe(false);
    const text = tree.read('tools/black/pylock.toml', 'utf8')!;
    const lock = parsePylock(text, 'tools/black/pylock.toml');
    expect(lock.packages.map((p) => [p.name, p.version, p.files[0].sha256])).toEqual([
      ['black', '23.1.0', sha('a')],
      ['click', '8.1.3', sha('b')],
    ]);
    expect(lock.requirementsHash).toBe(requirementsHash(reqs));
    expect(lock.interpreterConstraints).toEqual(['>=3.9,<3.14']);
    expect(lock.environments).toEqual([{ platform: 'linux_x86_64', python: '3.11', covered: true }]);
    // The workspace-relative file: URL becomes a path relative to the lock, as PEP 751 has it.
    expect((parse(text) as any).packages[0].wheels[0].path).toBe('../../wheels/black-23.1.0-py3-none-any.whl');
    expect(readProjectConfiguration(tree, 'black').targets!.lock.options).toEqual({
      lockFile: '{projectRoot}/pylock.toml',
      python: 'python3.11',
    });
    expect(warnings).toEqual([]);
  });

  test('keeps, and names, a JSON lock it cannot read or that already has a pylock.toml beside it', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('tools/broken/pex.lock.json', '{ "lockVersion": 1,');
    tree.write('tools/both/pex.lock.json', legacyLock);
    tree.write('tools/both/pylock.toml', 'lock-version = "1.0"\n');
    migration(tree);
    expect(tree.read('tools/broken/pex.lock.json', 'utf8')).toBe('{ "lockVersion": 1,');
    expect(tree.exists('tools/broken/pylock.toml')).toBe(false);
    expect(tree.read('tools/both/pylock.toml', 'utf8')).toBe('lock-version = "1.0"\n');
    expect(tree.exists('tools/both/pex.lock.json')).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(/^\[pex\] kept tools\/both\/pex.lock.json: tools\/both\/pylock.toml is already there/),
      expect.stringMatching(
        /^\[pex\] kept tools\/broken\/pex.lock.json, which could not be converted to pylock.toml \(.*not valid JSON.*\)/,
      ),
    ]);
  });

  test('is registered in migrations.json', () => {
    const migrations = JSON.parse(readFileSync(path.join(__dirname, '../../../migrations.json'), 'utf8'));
    expect(migrations.generators['pylock-toml']).toMatchObject({ version: '0.3.0', implementation: './dist/generators/init/pylock' });
  });
});
