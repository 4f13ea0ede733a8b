import { FsTree } from '@nx/devkit/internal';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PexError } from '../../core/common';
import { formatLockfile } from '../../core/lock';
import { parseRequirements, requirementsHash } from '../../core/requirements';
import { syncGenerator } from './generator';

// A workspace on disk, as `nx sync:check` hands the generator one; pip is never reached here.
describe('pex:sync', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const lockFor = (requirements: string, interpreterConstraints: string[] = []) => {
    const reqs = parseRequirements(requirements, 'requirements.txt');
    return formatLockfile({
      requirements: reqs.requirements,
      pipOptions: reqs.pipOptions,
      requirementsHash: requirementsHash(reqs),
      interpreterConstraints,
      environments: [{ platform: 'linux_x86_64', python: '3.11', covered: true }],
      packages: [],
    });
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-sync-'));
    write('nx.json', '{}');
    write('tools/black/project.json', JSON.stringify({ name: 'black', targets: { lock: { options: { python: 'no-such-python3.99' } } } }));
    write('tools/black/requirements.txt', 'black==23.1.0\n');
    write('tools/black/pylock.toml', lockFor('black==23.1.0\n'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a lock in step with its requirements and interpreters changes nothing', async () => {
    const tree = new FsTree(root, false);
    expect(await syncGenerator(tree)).toEqual({});
    expect(tree.listChanges()).toEqual([]);
  });

  test('a pex.lock.json of an earlier version is checked too: in step, it is left for its next lock to convert', async () => {
    fs.rmSync(path.join(root, 'tools/black/pylock.toml'));
    const reqs = parseRequirements('black==23.1.0\n', 'requirements.txt');
    const legacy = {
      lockVersion: 1,
      requirements: reqs.requirements,
      pipOptions: [],
      requirementsHash: requirementsHash(reqs),
      interpreterConstraints: [],
      artifacts: [],
    };
    write(
      'tools/black/pex.lock.json',
      JSON.stringify({ ...legacy, interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' } }),
    );
    const tree = new FsTree(root, false);
    expect(await syncGenerator(tree)).toEqual({});
    expect(tree.listChanges()).toEqual([]);
    write('tools/black/requirements.txt', 'black==24.1.0\n');
    const error = await syncGenerator(new FsTree(root, false)).catch((e) => e);
    expect(error.message).toMatch(/^pex: tools\/black\/pex.lock.json is stale against its requirements.txt and re-locking it failed: /);
  });

  test.each([
    ['requirements', () => write('tools/black/requirements.txt', 'black==24.1.0\n'), 'is stale against its requirements.txt'],
    [
      'interpreters',
      () => write('tools/black/pylock.toml', lockFor('black==23.1.0\n', ['>=3.9'])),
      'was made for interpreters [">=3.9"] instead of the lock target\'s interpreterConstraints []',
    ],
  ])('a lock stale against its %s is re-locked; when that fails the error is one line saying why', async (_what, change, why) => {
    change();
    const error = await syncGenerator(new FsTree(root, false)).catch((e) => e);
    expect(error).toBeInstanceOf(PexError);
    expect(error.message).toMatch(
      new RegExp(`^pex: tools/black/pylock.toml ${why.replace(/[[\]().]/g, '\\$&')} and re-locking it failed: .*no-such-python3.99`),
    );
    expect(error.message).not.toContain('\n');
  });
});
