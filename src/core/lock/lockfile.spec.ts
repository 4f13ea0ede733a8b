/* eslint-disable @typescript-eslint/no-explicit-any -- parsed TOML and JSON documents, damaged on purpose */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { PexError } from '../common';
import { toLockRelative } from './legacyJson';
import {
  assertLockFresh,
  environmentMarker,
  formatLockfile,
  legacyLockBeside,
  LockedArtifact,
  Lockfile,
  pylockFor,
  readLockfile,
  writeLockfile,
} from './lockfile';
import { parseRequirements, requirementsHash } from '../requirements';

const requirements = parseRequirements('black==23.1.0\n--index-url https://host/simple\n', 'requirements.txt');
const sha = (c: string) => c.repeat(64);

function sampleLock(): Lockfile {
  return {
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
        path: '../wheels/click-8.1.3-py3-none-any.whl',
        size: 97,
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

/** The JSON lock earlier versions of the plugin wrote (lockVersion 2 when a file has a path). */
function legacyJson(lock: Lockfile, lockVersion: 1 | 2 = lock.artifacts.some((a) => a.path) ? 2 : 1): any {
  return {
    lockVersion,
    requirements: lock.requirements,
    pipOptions: lock.pipOptions,
    requirementsHash: lock.requirementsHash,
    interpreter: lock.interpreter,
    interpreterConstraints: lock.interpreterConstraints,
    artifacts: [...lock.artifacts].sort((a, b) => a.name.localeCompare(b.name)).map(({ size: _, ...a }) => a),
  };
}
const legacySample = () => ({
  ...sampleLock(),
  artifacts: sampleLock().artifacts.map((a, i) =>
    i === 0 ? { ...a, path: undefined, url: 'file:wheels/click-8.1.3-py3-none-any.whl' } : a,
  ),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-lock-spec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pylock.toml: writeLockfile / readLockfile', () => {
  it('round-trips with packages sorted by name, and is a PEP 751 lock', () => {
    const file = path.join(dir, 'nested', 'pylock.toml');
    writeLockfile(file, sampleLock());
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lock = readLockfile(file);
    expect(lock.artifacts.map((a) => a.name)).toEqual(['black', 'click']);
    expect(lock).toEqual({ ...sampleLock(), artifacts: [sampleLock().artifacts[1], sampleLock().artifacts[0]] });
    expect(readdirSync(path.dirname(file))).toEqual(['pylock.toml']);
    const data = parse(text) as any;
    expect(data['lock-version']).toBe('1.0');
    expect(data['created-by']).toBe('pex-nx');
    expect(data['requires-python']).toBe('==3.11.*');
    expect(data.environments).toEqual([
      'sys_platform == "linux" and platform_machine == "x86_64" and ' +
        'platform_python_implementation == "CPython" and python_version == "3.11"',
    ]);
    expect(data.packages).toEqual([
      {
        name: 'black',
        version: '23.1.0',
        wheels: [
          { name: 'black-23.1.0-py3-none-any.whl', url: 'https://host/black-23.1.0-py3-none-any.whl', hashes: { sha256: sha('a') } },
        ],
      },
      {
        name: 'click',
        version: '8.1.3',
        wheels: [
          { name: 'click-8.1.3-py3-none-any.whl', path: '../wheels/click-8.1.3-py3-none-any.whl', size: 97, hashes: { sha256: sha('b') } },
        ],
      },
    ]);
    expect(data.tool['pex-nx']).toEqual({
      requirements: ['black==23.1.0'],
      'pip-options': ['--index-url https://host/simple'],
      'requirements-hash': requirementsHash(requirements),
      'interpreter-constraints': ['>=3.9,<3.14'],
      environments: [{ implementation: 'cpython', python: '3.11', tag: 'cp311', platform: 'linux_x86_64' }],
    });
  });

  it('writes the same bytes for the same lock, whatever the order of its artifacts', () => {
    const lock = sampleLock();
    expect(formatLockfile({ ...lock, artifacts: [...lock.artifacts].reverse() })).toBe(formatLockfile(lock));
  });

  it('records an sdist as the package sdist', () => {
    const lock = sampleLock();
    lock.artifacts[1] = { ...lock.artifacts[1], filename: 'black-23.1.0.tar.gz', url: 'https://host/black-23.1.0.tar.gz' };
    const data = parse(formatLockfile(lock)) as any;
    expect(data.packages[0]).toEqual({
      name: 'black',
      version: '23.1.0',
      sdist: { name: 'black-23.1.0.tar.gz', url: 'https://host/black-23.1.0.tar.gz', hashes: { sha256: sha('a') } },
    });
    const file = path.join(dir, 'pylock.toml');
    writeLockfile(file, lock);
    expect(readLockfile(file).artifacts[0].filename).toBe('black-23.1.0.tar.gz');
  });

  it.each([
    [
      { implementation: 'cpython', version: '3.12', tag: 'cp312', platform: 'macosx_14_0_arm64' },
      'sys_platform == "darwin" and platform_machine == "arm64" and ' +
        'platform_python_implementation == "CPython" and python_version == "3.12"',
    ],
    [
      { implementation: 'cpython', version: '3.9', tag: 'cp39', platform: 'linux_aarch64' },
      'sys_platform == "linux" and platform_machine == "aarch64" and ' +
        'platform_python_implementation == "CPython" and python_version == "3.9"',
    ],
    [
      { implementation: 'cpython', version: '3.10', tag: 'cp310', platform: 'macosx_11_0_universal2' },
      'platform_python_implementation == "CPython" and python_version == "3.10"',
    ],
  ])('marks the environment of %j', (interpreter, marker) => {
    expect(environmentMarker(interpreter)).toBe(marker);
  });

  it('does not rewrite an unchanged file', () => {
    const file = path.join(dir, 'pylock.toml');
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
    lock.requirements = ['black @ https://user:tok3n@host/black-23.1.0-py3-none-any.whl'];
    expect(formatLockfile(lock)).not.toContain('tok3n');
  });

  it('refuses to write a local file as a URL', () => {
    expect(() => formatLockfile(legacySample())).toThrow(
      /click-8.1.3-py3-none-any.whl: a lock records a local file by its path relative to the lock/,
    );
  });

  it('says how to create a missing lock', () => {
    expect(() => readLockfile(path.join(dir, 'pylock.toml'))).toThrow(/pylock\.toml does not exist: run the lock target/);
  });

  it('names the line of a TOML syntax error, in one line', () => {
    const file = path.join(dir, 'pylock.toml');
    writeFileSync(file, 'lock-version = "1.0"\n\npackages = [\n');
    let error: Error | undefined;
    try {
      readLockfile(file);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(PexError);
    expect(error!.message).toMatch(
      new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+: not valid TOML \\(.*\\): fix it or run the lock target`),
    );
    expect(error!.message).not.toContain('\n');
  });

  const breakages: Array<[string, (lock: any) => void, string]> = [
    ['an unknown lock-version', (l) => (l['lock-version'] = '2.0'), 'lock-version must be "1.0"'],
    ['no tool.pex-nx', (l) => delete l.tool['pex-nx'], 'tool.pex-nx must be a table (this lock was not written by the pex plugin)'],
    ['requirements not a list', (l) => (l.tool['pex-nx'].requirements = 'black'), 'tool.pex-nx.requirements must be a list of strings'],
    [
      'hand-edited requirements',
      (l) => (l.tool['pex-nx'].requirements = ['black==24.1.0']),
      'tool.pex-nx.requirements-hash does not match',
    ],
    ['a bad constraint', (l) => (l.tool['pex-nx']['interpreter-constraints'] = ['>=three']), 'tool.pex-nx.interpreter-constraints[0]'],
    [
      'two environments',
      (l) => l.tool['pex-nx'].environments.push(l.tool['pex-nx'].environments[0]),
      'tool.pex-nx.environments must be a list of one environment',
    ],
    [
      'an environment python',
      (l) => (l.tool['pex-nx'].environments[0].python = 3.11),
      "tool.pex-nx.environments[0].python must be a 'major.minor' string",
    ],
    ['packages not a list', (l) => (l.packages = { a: 1 }), 'packages must be a list of tables'],
    ['a package marker', (l) => (l.packages[0].marker = 'python_version < "3.11"'), 'packages[0] (black) has a marker'],
    [
      'two files',
      (l) => (l.packages[0].sdist = { ...l.packages[0].wheels[0], name: 'black-23.1.0.tar.gz' }),
      'packages[0] (black) must lock exactly one file',
    ],
    ['no file', (l) => delete l.packages[0].wheels, 'packages[0] (black) must lock exactly one file'],
    [
      'a sha256',
      (l) => (l.packages[1].wheels[0].hashes.sha256 = 'A'.repeat(64)),
      'packages[1].wheels[0].hashes.sha256 must be 64 lowercase hex digits',
    ],
    ['no hashes', (l) => delete l.packages[1].wheels[0].hashes, 'packages[1].wheels[0].hashes must be a table'],
    ['a url scheme', (l) => (l.packages[0].wheels[0].url = 'ftp://x/black.whl'), 'packages[0].wheels[0].url must be an http(s) URL'],
    ['url and path', (l) => (l.packages[0].wheels[0].path = 'black.whl'), 'packages[0].wheels[0] has both url and path'],
    [
      'an absolute path',
      (l) => (l.packages[1].wheels[0].path = '/abs/click.whl'),
      'packages[1].wheels[0].path must be a relative path with / separators',
    ],
    ['a size', (l) => (l.packages[1].wheels[0].size = -1), 'packages[1].wheels[0].size must be a whole number of bytes'],
    ['a version type', (l) => (l.packages[0].version = 23), 'packages[0].version must be a string'],
    [
      'a file name',
      (l) => (l.packages[0].wheels[0].name = 'black.tar.gz'),
      'packages[0].wheels[0].name must be a wheel or sdist file name',
    ],
    [
      'a file of another version',
      (l) => (l.packages[0].version = '22.0'),
      'packages[0].wheels[0]: filename black-23.1.0-py3-none-any.whl is not black 22.0',
    ],
  ];

  it.each(breakages)('rejects %s, naming the field', (_, breakIt, expected) => {
    const file = path.join(dir, 'pylock.toml');
    const data = parse(formatLockfile(sampleLock())) as any;
    breakIt(data);
    writeFileSync(file, stringify(data));
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

describe('where a lock lives', () => {
  it('a JSON lock becomes the pylock.toml beside it; a legacy lock beside a pylock.toml is found', () => {
    expect(pylockFor('/w/tools/x/pex.lock.json')).toBe('/w/tools/x/pylock.toml');
    expect(pylockFor('/w/tools/x/pylock.toml')).toBe('/w/tools/x/pylock.toml');
    expect(legacyLockBeside(path.join(dir, 'pylock.toml'))).toBeNull();
    writeFileSync(path.join(dir, 'pex.lock.json'), '{}');
    expect(legacyLockBeside(path.join(dir, 'pylock.toml'))).toBe(path.join(dir, 'pex.lock.json'));
  });
});

describe('pex.lock.json of earlier versions: still read', () => {
  it('reads both lock versions, local files of version 1 as file: URLs', () => {
    const file = path.join(dir, 'pex.lock.json');
    const [click, black] = legacySample().artifacts;
    writeFileSync(file, JSON.stringify(legacyJson(legacySample()), null, 2));
    expect(readLockfile(file)).toEqual({ ...legacySample(), artifacts: [black, { ...click, size: undefined }] });
    writeFileSync(file, JSON.stringify(legacyJson(sampleLock()), null, 2));
    const clickByPath: Partial<LockedArtifact> = { ...sampleLock().artifacts[0] };
    delete clickByPath.size;
    expect(readLockfile(file).artifacts[1]).toEqual(clickByPath);
  });

  it('converts to pylock.toml: local files by their path relative to the lock, with their size', () => {
    const wheels = path.join(dir, 'wheels');
    mkdirSync(wheels);
    writeFileSync(path.join(wheels, 'click-8.1.3-py3-none-any.whl'), 'x'.repeat(12));
    const converted = toLockRelative(legacySample(), dir, path.join(dir, 'tools', 'x'));
    expect(converted.artifacts[0]).toEqual({ ...sampleLock().artifacts[0], path: '../../wheels/click-8.1.3-py3-none-any.whl', size: 12 });
    expect(converted.artifacts[1]).toEqual(sampleLock().artifacts[1]);
    expect(() => formatLockfile(converted)).not.toThrow();
  });

  it('says how to create a missing lock', () => {
    expect(() => readLockfile(path.join(dir, 'pex.lock.json'))).toThrow(/pex\.lock\.json does not exist: run the lock target/);
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

  it.each([['/abs/click.whl'], ['wheels\\click.whl'], ['./click.whl'], ['']])('rejects the path %j, naming the field', (bad) => {
    const file = path.join(dir, 'pex.lock.json');
    const data = legacyJson(legacySample());
    data.lockVersion = 2;
    delete data.artifacts[1].url;
    data.artifacts[1].path = bad;
    writeFileSync(file, JSON.stringify(data));
    expect(() => readLockfile(file)).toThrow(`${file}: artifacts[1].path must be a relative path with / separators: run the lock target`);
  });

  it('accepts an sdist artifact (the fetch builds it)', () => {
    const file = path.join(dir, 'pex.lock.json');
    const data = legacyJson(legacySample());
    data.artifacts[0].filename = 'Black-23.1.0.tar.gz';
    writeFileSync(file, JSON.stringify(data));
    expect(readLockfile(file).artifacts[0].filename).toBe('Black-23.1.0.tar.gz');
  });
  it.each(breakages)('rejects %s, naming the field', (_, breakIt, expected) => {
    const file = path.join(dir, 'pex.lock.json');
    const data = legacyJson(legacySample());
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
