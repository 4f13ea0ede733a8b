/* eslint-disable @typescript-eslint/no-explicit-any -- parsed TOML and JSON documents, damaged on purpose */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { PexError } from '../common';
import { toLockRelative } from './legacyJson';
import { environmentId, markerValues, Platform } from '../python';
import { evaluateMarker, packageMarker } from './markers';
import {
  assertLockFresh,
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

const CLICK: LockedArtifact = {
  name: 'click',
  version: '8.1.3',
  filename: 'click-8.1.3-py3-none-any.whl',
  path: '../wheels/click-8.1.3-py3-none-any.whl',
  size: 97,
  sha256: sha('b'),
};
const BLACK: LockedArtifact = {
  name: 'black',
  version: '23.1.0',
  filename: 'black-23.1.0-py3-none-any.whl',
  url: 'https://host/black-23.1.0-py3-none-any.whl',
  sha256: sha('a'),
};
const ONE = 'linux_x86_64-cp311';

/** A lock of one environment, linux_x86_64-cp311, as version 0.3.0 wrote them. */
function sampleLock(artifacts: LockedArtifact[] = [BLACK, CLICK]): Lockfile {
  return {
    requirements: requirements.requirements,
    pipOptions: requirements.pipOptions,
    requirementsHash: requirementsHash(requirements),
    interpreterConstraints: ['>=3.9,<3.14'],
    environments: [{ platform: 'linux_x86_64', python: '3.11', covered: true }],
    packages: artifacts.map((a) => ({ name: a.name, version: a.version, environments: [ONE], files: [{ ...a }] })),
  };
}

const wheel = (name: string, version: string, tag: string): LockedArtifact => ({
  name,
  version,
  filename: `${name.replace(/-/g, '_')}-${version}-${tag}.whl`,
  url: `https://host/${name.replace(/-/g, '_')}-${version}-${tag}.whl`,
  sha256: sha(String((name.length + tag.length) % 10)),
});

/** linux_x86_64 and macos_arm64 × 3.10–3.12 (macos_arm64-cp312 not covered), with markers and several wheels. */
function multiLock(): Lockfile {
  const ids = (...e: string[]) => e;
  return {
    ...sampleLock(),
    interpreterConstraints: ['>=3.10,<3.13'],
    environments: [
      { platform: 'linux_x86_64', python: '3.10', covered: true },
      { platform: 'linux_x86_64', python: '3.11', covered: true },
      { platform: 'linux_x86_64', python: '3.12', covered: true },
      { platform: 'macos_arm64', python: '3.10', covered: true },
      { platform: 'macos_arm64', python: '3.11', covered: true },
      { platform: 'macos_arm64', python: '3.12', covered: false },
    ],
    packages: [
      {
        name: 'black',
        version: '23.1.0',
        environments: ids('linux_x86_64-cp310', 'linux_x86_64-cp311', 'linux_x86_64-cp312', 'macos_arm64-cp310', 'macos_arm64-cp311'),
        files: [
          wheel('black', '23.1.0', 'cp310-cp310-macosx_11_0_arm64'),
          wheel('black', '23.1.0', 'cp310-cp310-manylinux2014_x86_64'),
          wheel('black', '23.1.0', 'py3-none-any'),
        ],
      },
      {
        name: 'macfsevents',
        version: '1.0',
        environments: ids('macos_arm64-cp310', 'macos_arm64-cp311'),
        files: [wheel('macfsevents', '1.0', 'py3-none-any')],
      },
      {
        name: 'tomli',
        version: '2.0.1',
        environments: ids('linux_x86_64-cp310', 'macos_arm64-cp310'),
        files: [wheel('tomli', '2.0.1', 'py3-none-any')],
      },
      {
        name: 'typing-extensions',
        version: '4.0.0',
        environments: ids('linux_x86_64-cp310'),
        files: [wheel('typing-extensions', '4.0.0', 'py3-none-any')],
      },
      {
        name: 'typing-extensions',
        version: '4.5.0',
        environments: ids('linux_x86_64-cp311', 'linux_x86_64-cp312', 'macos_arm64-cp310', 'macos_arm64-cp311'),
        files: [wheel('typing-extensions', '4.5.0', 'py3-none-any')],
      },
    ],
  };
}

/** The JSON lock earlier versions of the plugin wrote (lockVersion 2 when a file has a path). */
function legacyJson(lock: Lockfile, lockVersion?: 1 | 2): any {
  const artifacts = lock.packages.flatMap((p) => p.files);
  return {
    lockVersion: lockVersion ?? (artifacts.some((a) => a.path) ? 2 : 1),
    requirements: lock.requirements,
    pipOptions: lock.pipOptions,
    requirementsHash: lock.requirementsHash,
    interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' },
    interpreterConstraints: lock.interpreterConstraints,
    artifacts: [...artifacts].sort((a, b) => a.name.localeCompare(b.name)).map(({ size: _, ...a }) => a),
  };
}
const LOCAL_CLICK: LockedArtifact = { ...CLICK, url: 'file:wheels/click-8.1.3-py3-none-any.whl' };
delete LOCAL_CLICK.path;
const legacySample = () => sampleLock([BLACK, LOCAL_CLICK]);
const filesOf = (lock: Lockfile) => lock.packages.map((p) => p.files[0]);

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
    expect(lock.packages.map((p) => p.name)).toEqual(['black', 'click']);
    expect(lock).toEqual(sampleLock());
    expect(readdirSync(path.dirname(file))).toEqual(['pylock.toml']);
    const data = parse(text) as any;
    expect(data['lock-version']).toBe('1.0');
    expect(data['created-by']).toBe('pex-nx');
    expect(data['requires-python']).toBe('>=3.11,<3.12');
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
      environments: [{ platform: 'linux_x86_64', python: '3.11', covered: true }],
    });
  });

  it('round-trips a lock of several environments: a marker where a package is not in all, several wheels, uncovered ones', () => {
    const file = path.join(dir, 'pylock.toml');
    writeLockfile(file, multiLock());
    expect(readLockfile(file)).toEqual(multiLock());
    const data = parse(readFileSync(file, 'utf8')) as any;
    expect(data['requires-python']).toBe('>=3.10,<3.13');
    expect(data.environments).toHaveLength(5);
    expect(data.environments[4]).toBe(
      'sys_platform == "darwin" and platform_machine == "arm64" and ' +
        'platform_python_implementation == "CPython" and python_version == "3.11"',
    );
    expect(data.packages.map((p: any) => [p.name, p.version, p.marker])).toEqual([
      ['black', '23.1.0', undefined],
      ['macfsevents', '1.0', 'sys_platform == "darwin"'],
      ['tomli', '2.0.1', 'python_version < "3.11"'],
      ['typing-extensions', '4.0.0', 'sys_platform == "linux" and python_version < "3.11"'],
      ['typing-extensions', '4.5.0', '(sys_platform == "linux" and python_version >= "3.11") or sys_platform == "darwin"'],
    ]);
    expect(data.packages[0].wheels.map((w: any) => w.name)).toEqual([
      'black-23.1.0-cp310-cp310-macosx_11_0_arm64.whl',
      'black-23.1.0-cp310-cp310-manylinux2014_x86_64.whl',
      'black-23.1.0-py3-none-any.whl',
    ]);
    expect(data.tool['pex-nx'].environments[5]).toEqual({ platform: 'macos_arm64', python: '3.12', covered: false });
  });

  it('reads the single-environment locks of version 0.3.0, to be converted by the next lock', () => {
    const file = path.join(dir, 'pylock.toml');
    const data = parse(formatLockfile(sampleLock())) as any;
    data.tool['pex-nx'].environments = [{ implementation: 'cpython', python: '3.12', tag: 'cp312', platform: 'macosx_14_0_arm64' }];
    data['requires-python'] = '==3.12.*';
    writeFileSync(file, stringify(data));
    const lock = readLockfile(file);
    expect(lock.environments).toEqual([{ platform: 'macos_arm64', python: '3.12', covered: true }]);
    expect(lock.packages.map((p) => p.environments)).toEqual([['macos_arm64-cp312'], ['macos_arm64-cp312']]);
    data.tool['pex-nx'].environments[0].platform = 'win_amd64';
    writeFileSync(file, stringify(data));
    expect(() => readLockfile(file)).toThrow("tool.pex-nx.environments[0].platform 'win_amd64' is none of linux_x86_64,");
  });

  it('writes the same bytes for the same lock, whatever the order of its packages and files', () => {
    const lock = multiLock();
    const shuffled = { ...lock, packages: [...lock.packages].reverse().map((p) => ({ ...p, files: [...p.files].reverse() })) };
    expect(formatLockfile(shuffled)).toBe(formatLockfile(lock));
  });

  it('records an sdist as the package sdist', () => {
    const lock = sampleLock([{ ...BLACK, filename: 'black-23.1.0.tar.gz', url: 'https://host/black-23.1.0.tar.gz' }, CLICK]);
    const data = parse(formatLockfile(lock)) as any;
    expect(data.packages[0]).toEqual({
      name: 'black',
      version: '23.1.0',
      sdist: { name: 'black-23.1.0.tar.gz', url: 'https://host/black-23.1.0.tar.gz', hashes: { sha256: sha('a') } },
    });
    const file = path.join(dir, 'pylock.toml');
    writeLockfile(file, lock);
    expect(readLockfile(file).packages[0].files[0].filename).toBe('black-23.1.0.tar.gz');
  });

  it.each([
    [['macos_arm64-cp310', 'macos_arm64-cp311', 'macos_x86_64-cp310', 'macos_x86_64-cp311'], 'sys_platform == "darwin"'],
    [['linux_aarch64-cp311'], 'sys_platform == "linux" and platform_machine == "aarch64" and python_version >= "3.11"'],
    [
      ['linux_x86_64-cp310', 'macos_x86_64-cp311'],
      '(sys_platform == "linux" and platform_machine == "x86_64" and python_version < "3.11") or ' +
        '(sys_platform == "darwin" and platform_machine == "x86_64" and python_version >= "3.11")',
    ],
    [['linux_x86_64-cp310', 'linux_aarch64-cp310', 'macos_arm64-cp310', 'macos_x86_64-cp310'], 'python_version < "3.11"'],
  ])('marks a package of %j as briefly as is correct, and reads the marker back', (ids, marker) => {
    const covered = ['linux_x86_64', 'linux_aarch64', 'macos_arm64', 'macos_x86_64'].flatMap((platform) =>
      ['3.10', '3.11'].map((python) => ({ platform: platform as Platform, python })),
    );
    expect(packageMarker(ids, covered)).toBe(marker);
    const read = covered.filter((e) => evaluateMarker(marker, markerValues(e))).map(environmentId);
    expect(read.sort()).toEqual([...ids].sort());
  });

  it('evaluates markers as PEP 508 does: versions as versions, strings as strings', () => {
    const env = markerValues({ platform: 'linux_x86_64', python: '3.10' });
    expect(evaluateMarker('python_version >= "3.9" and python_version < "3.11"', env)).toBe(true);
    expect(evaluateMarker("python_full_version ~= '3.10.0' and os_name == 'posix'", env)).toBe(true);
    expect(evaluateMarker('sys_platform == "win32" or (platform_machine in "x86_64 aarch64" and extra == "")', env)).toBe(true);
    expect(evaluateMarker('"linux" not in sys_platform', env)).toBe(false);
    expect(() => evaluateMarker('python_version >= ', env)).toThrow('it ends too early');
    expect(() => evaluateMarker('sys_platform < "linux"', env)).toThrow("'<' compares versions");
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
    lock.packages[0].files[0].url = 'https://user:tok3n@host/black-23.1.0-py3-none-any.whl';
    lock.pipOptions = ['--index-url https://user:tok3n@host/simple'];
    lock.requirements = ['black @ https://user:tok3n@host/black-23.1.0-py3-none-any.whl'];
    expect(formatLockfile(lock)).not.toContain('tok3n');
  });

  it('refuses to write a local file as a URL', () => {
    expect(() => formatLockfile(legacySample())).toThrow(
      'click-8.1.3-py3-none-any.whl is locked as file:wheels/click-8.1.3-py3-none-any.whl, the lock records a local file by its path',
    );
  });

  it('says how to create a missing lock', () => {
    expect(() => readLockfile(path.join(dir, 'pylock.toml'))).toThrow(/^the lock does not exist, .*pylock\.toml: run the lock target/);
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
      new RegExp(`^not valid TOML \\(.*\\), ${file.replace(/[.]/g, '\\.')}:\\d+: fix it, or run the lock target`),
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
      'an environment twice',
      (l) => l.tool['pex-nx'].environments.push(l.tool['pex-nx'].environments[0]),
      'tool.pex-nx.environments names linux_x86_64-cp311 twice',
    ],
    [
      'an environment python',
      (l) => (l.tool['pex-nx'].environments[0].python = 3.11),
      "tool.pex-nx.environments[0].python must be a 'major.minor' string",
    ],
    ['an unknown platform', (l) => (l.tool['pex-nx'].environments[0].platform = 'win_amd64'), 'environments[0].platform must be one of'],
    ['no covered environment', (l) => (l.tool['pex-nx'].environments[0].covered = false), 'must have a covered environment'],
    ['no environments', (l) => (l.tool['pex-nx'].environments = []), 'tool.pex-nx.environments must be a list of environment tables'],
    ['packages not a list', (l) => (l.packages = { a: 1 }), 'packages must be a list of tables'],
    ['a marker of no environment', (l) => (l.packages[0].marker = 'python_version < "3.11"'), 'packages[0].marker (black) matches none'],
    ['a marker that is none', (l) => (l.packages[0].marker = 'python_version <'), 'packages[0].marker (black) is not a PEP 508 marker'],
    [
      'a wheel as the sdist',
      (l) => (l.packages[0].sdist = l.packages[0].wheels[0]),
      'packages[0] (black) lists black-23.1.0-py3-none-any.whl as an sdist',
    ],
    ['no file', (l) => delete l.packages[0].wheels, 'packages[0] (black) must lock a file'],
    [
      'two versions for one environment',
      (l) =>
        l.packages.push({
          ...l.packages[0],
          version: '22.1.0',
          wheels: [{ ...l.packages[0].wheels[0], name: 'black-22.1.0-py3-none-any.whl' }],
        }),
      'black 23.1.0 and 22.1.0 are both locked for linux_x86_64-cp311',
    ],
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
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toMatch(new RegExp(`, ${file.replace(/[.]/g, '\\.')}: run the lock target`));
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
    writeFileSync(file, JSON.stringify(legacyJson(legacySample()), null, 2));
    const { size: _, ...unsized } = LOCAL_CLICK;
    expect(readLockfile(file)).toEqual(sampleLock([BLACK, unsized as LockedArtifact]));
    writeFileSync(file, JSON.stringify(legacyJson(sampleLock()), null, 2));
    const clickByPath: Partial<LockedArtifact> = { ...CLICK };
    delete clickByPath.size;
    expect(filesOf(readLockfile(file))[1]).toEqual(clickByPath);
  });

  it('converts to pylock.toml: local files by their path relative to the lock, with their size', () => {
    const wheels = path.join(dir, 'wheels');
    mkdirSync(wheels);
    writeFileSync(path.join(wheels, 'click-8.1.3-py3-none-any.whl'), 'x'.repeat(12));
    const converted = toLockRelative(legacySample(), dir, path.join(dir, 'tools', 'x'));
    expect(filesOf(converted)[1]).toEqual({ ...CLICK, path: '../../wheels/click-8.1.3-py3-none-any.whl', size: 12 });
    expect(filesOf(converted)[0]).toEqual(BLACK);
    expect(() => formatLockfile(converted)).not.toThrow();
  });

  it('says how to create a missing lock', () => {
    expect(() => readLockfile(path.join(dir, 'pex.lock.json'))).toThrow(/^the lock does not exist, .*pex\.lock\.json: run the lock target/);
  });

  it('names the line of a JSON syntax error', () => {
    const file = path.join(dir, 'pex.lock.json');
    writeFileSync(file, '{\n  "lockVersion": 1,\n  oops\n}\n');
    expect(() => readLockfile(file)).toThrow(new RegExp(`^not valid JSON, ${file.replace(/[.]/g, '\\.')}:3: fix it`));
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
    ['interpreter.platform', (l) => (l.interpreter!.platform = 'win_amd64'), "interpreter.platform 'win_amd64' is none of"],
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
    expect(() => readLockfile(file)).toThrow(`artifacts[1].path must be a relative path with / separators, ${file}: run the lock target`);
  });

  it('accepts an sdist artifact (the fetch builds it)', () => {
    const file = path.join(dir, 'pex.lock.json');
    const data = legacyJson(legacySample());
    data.artifacts[0].filename = 'Black-23.1.0.tar.gz';
    writeFileSync(file, JSON.stringify(data));
    expect(filesOf(readLockfile(file))[0].filename).toBe('Black-23.1.0.tar.gz');
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
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toMatch(new RegExp(`, ${file.replace(/[.]/g, '\\.')}: run the lock target`));
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
      new PexError('the lock is stale: requirements.txt changed since it was locked', 'tools/x/pex.lock.json', 'run nx run x:lock'),
    );
  });
});
