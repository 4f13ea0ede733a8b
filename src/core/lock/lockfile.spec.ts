import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { assertLockFresh, formatLockfile, Lockfile, readLockfile, writeLockfile } from './lockfile';
import { parseRequirements, requirementsHash } from '../requirements';

const requirements = parseRequirements('black==23.1.0\n--index-url https://host/simple\n', 'requirements.txt');
const sha = (c: string) => c.repeat(64);

function sampleLock(): Lockfile {
  return {
    lockVersion: 1,
    requirements: requirements.requirements,
    pipOptions: requirements.pipOptions,
    requirementsHash: requirementsHash(requirements),
    interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' },
    interpreterConstraints: ['>=3.9,<3.14'],
    artifacts: [
      {
        name: 'click',
        version: '8.1.3',
        filename: 'click-8.1.3-py3-none-any.whl',
        url: 'file:wheels/click-8.1.3-py3-none-any.whl',
        sha256: sha('b'),
      },
      {
        name: 'black',
        version: '23.1.0',
        filename: 'black-23.1.0-py3-none-any.whl',
        url: 'https://host/black-23.1.0-py3-none-any.whl',
        sha256: sha('a'),
      },
    ],
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-lock-spec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeLockfile / readLockfile', () => {
  it('round-trips with artifacts sorted by name, 2-space JSON and a final newline', () => {
    const file = path.join(dir, 'nested', 'pex.lock.json');
    writeLockfile(file, sampleLock());
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "lockVersion": 1,\n');
    const lock = readLockfile(file);
    expect(lock.artifacts.map((a) => a.name)).toEqual(['black', 'click']);
    expect(lock).toEqual({ ...sampleLock(), artifacts: [sampleLock().artifacts[1], sampleLock().artifacts[0]] });
    expect(readdirSync(path.dirname(file))).toEqual(['pex.lock.json']);
  });

  it('does not rewrite an unchanged file', () => {
    const file = path.join(dir, 'pex.lock.json');
    writeLockfile(file, sampleLock());
    utimesSync(file, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const before = statSync(file).mtimeMs;
    writeLockfile(file, sampleLock());
    expect(statSync(file).mtimeMs).toBe(before);
    writeLockfile(file, { ...sampleLock(), interpreterConstraints: [] });
    expect(statSync(file).mtimeMs).not.toBe(before);
  });

  it('never writes credentials', () => {
    const lock = sampleLock();
    lock.artifacts[1].url = 'https://user:tok3n@host/black-23.1.0-py3-none-any.whl';
    lock.pipOptions = ['--index-url https://user:tok3n@host/simple'];
    expect(formatLockfile(lock)).not.toContain('tok3n');
  });

  it('says how to create a missing lock', () => {
    expect(() => readLockfile(path.join(dir, 'nope.json'))).toThrow(/nope\.json does not exist: run the lock target/);
  });

  it('names the line of a JSON syntax error', () => {
    const file = path.join(dir, 'pex.lock.json');
    writeFileSync(file, '{\n  "lockVersion": 1,\n  oops\n}\n');
    expect(() => readLockfile(file)).toThrow(new RegExp(`${file.replace(/[.]/g, '\\.')}:3: not valid JSON`));
  });

  /** A lockfile as parsed JSON, loose enough for a case to break any field of it. */
  interface LockJson {
    [field: string]: unknown;
    interpreter?: Record<string, unknown>;
    artifacts: { [index: number]: Record<string, unknown> };
  }
  const breakages: Array<[string, (lock: LockJson) => void, string]> = [
    ['unknown lockVersion', (l) => (l.lockVersion = 3), 'lockVersion must be 1 or 2'],
    ['requirements not a list', (l) => (l.requirements = 'black'), 'requirements must be a list of strings'],
    ['missing pipOptions', (l) => delete l.pipOptions, 'pipOptions must be a list of strings'],
    ['bad requirementsHash', (l) => (l.requirementsHash = 'abc'), 'requirementsHash must be 64 lowercase hex digits'],
    ['hand-edited requirements', (l) => (l.requirements = ['black==24.1.0']), 'requirementsHash does not match'],
    ['interpreter missing', (l) => delete l.interpreter, 'interpreter must be an object'],
    ['interpreter.version', (l) => (l.interpreter!.version = 3.11), "interpreter.version must be a 'major.minor' string"],
    ['interpreter.tag', (l) => (l.interpreter!.tag = ''), 'interpreter.tag must be a string'],
    ['bad constraint', (l) => (l.interpreterConstraints = ['>=three']), 'interpreterConstraints[0]'],
    ['artifacts not a list', (l) => (l.artifacts = {}), 'artifacts must be a list'],
    ['artifact sha256', (l) => (l.artifacts[1].sha256 = 'A'.repeat(64)), 'artifacts[1].sha256 must be 64 lowercase hex digits'],
    ['artifact url', (l) => delete l.artifacts[0].url, 'artifacts[0].url must be an http(s) or file URL'],
    ['artifact url scheme', (l) => (l.artifacts[0].url = 'ftp://x/black.whl'), 'artifacts[0].url must be an http(s) or file URL'],
    ['artifact version type', (l) => (l.artifacts[0].version = 23), 'artifacts[0].version must be a string'],
    ['artifact filename', (l) => (l.artifacts[0].filename = 'black.tar.gz'), 'artifacts[0].filename must be a wheel or sdist file name'],
    [
      'artifact mismatch',
      (l) => (l.artifacts[0].version = '22.0'),
      'artifacts[0]: filename black-23.1.0-py3-none-any.whl is not black 22.0',
    ],
    [
      'sdist mismatch',
      (l) => (l.artifacts[0].filename = 'black-22.0.tar.gz'),
      'artifacts[0]: filename black-22.0.tar.gz is not black 23.1.0',
    ],
  ];

  it('writes lock version 2 when a local file is recorded as a path relative to the lock, and reads it back', () => {
    const file = path.join(dir, 'pex.lock.json');
    const lock = sampleLock();
    lock.artifacts[0] = { ...lock.artifacts[0], url: undefined, path: '../../wheels/click-8.1.3-py3-none-any.whl' };
    delete lock.artifacts[0].url;
    writeLockfile(file, lock);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('\n  "lockVersion": 2,\n');
    expect(text).toContain('"path": "../../wheels/click-8.1.3-py3-none-any.whl"');
    expect(text).not.toContain('file:');
    expect(readLockfile(file).artifacts[1]).toEqual(lock.artifacts[0]);
  });

  it.each([['/abs/click.whl'], ['wheels\\click.whl'], ['./click.whl'], ['']])('rejects the path %j, naming the field', (bad) => {
    const file = path.join(dir, 'pex.lock.json');
    const data = JSON.parse(formatLockfile(sampleLock()));
    data.lockVersion = 2;
    delete data.artifacts[1].url;
    data.artifacts[1].path = bad;
    writeFileSync(file, JSON.stringify(data));
    expect(() => readLockfile(file)).toThrow(`${file}: artifacts[1].path must be a relative path with / separators: run the lock target`);
  });

  it('accepts an sdist artifact (the fetch builds it)', () => {
    const file = path.join(dir, 'pex.lock.json');
    const data = JSON.parse(formatLockfile(sampleLock()));
    data.artifacts[0].filename = 'Black-23.1.0.tar.gz';
    writeFileSync(file, JSON.stringify(data));
    expect(readLockfile(file).artifacts[0].filename).toBe('Black-23.1.0.tar.gz');
  });
  it.each(breakages)('rejects %s, naming the field', (_, breakIt, expected) => {
    const file = path.join(dir, 'pex.lock.json');
    const data = JSON.parse(formatLockfile(sampleLock()));
    breakIt(data);
    writeFileSync(file, JSON.stringify(data));
    let error: unknown;
    try {
      readLockfile(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toContain(`${file}: ${expected}`);
    expect((error as Error).message).toContain('run the lock target');
  });
});

describe('assertLockFresh', () => {
  it('accepts the requirements it was locked from, reformatted', () => {
    const reformatted = parseRequirements('# tools\nBlack == 23.1.0\n--index-url https://host/simple\n', 'r');
    expect(() => assertLockFresh(sampleLock(), reformatted, 'tools/x/pex.lock.json', 'nx run x:lock')).not.toThrow();
  });

  it('names the lock and the fix when requirements changed', () => {
    const changed = parseRequirements('black==23.3.0\n--index-url https://host/simple\n', 'r');
    expect(() => assertLockFresh(sampleLock(), changed, 'tools/x/pex.lock.json', 'nx run x:lock')).toThrow(
      new PexError('tools/x/pex.lock.json is stale: requirements.txt changed since it was locked; run nx run x:lock'),
    );
  });
});
