import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PexError } from '../common';
import { buildPexInfo, codeHash, PexInfoInput, pythonJson } from './pexInfo';
import { testPython } from '../testing/wheels';

const input: PexInfoInput = {
  requirements: ['black==23.1.0'],
  wheels: [
    { filename: 'click-8.1.3-py3-none-any.whl', sha256: 'b'.repeat(64) },
    { filename: 'black-23.1.0-py3-none-any.whl', sha256: 'a'.repeat(64) },
  ],
  script: 'black',
  interpreterConstraints: ['>=3.9,<3.14'],
  codeHash: codeHash([]),
  bootstrapHash: codeHash([{ path: '.bootstrap/pexnx/__init__.py', data: Buffer.from('') }]),
  buildProperties: { pex_nx_version: '0.1.0', class: 'CPython', note: 'Łukasz ✓ 😀' },
  environments: [
    {
      id: 'linux_x86_64-cp311',
      platform: 'linux_x86_64',
      python: '3.11',
      wheels: [['black-23.1.0-py3-none-any.whl'], ['click-8.1.3-py3-none-any.whl']],
    },
  ],
};

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

function pythonDump(value: unknown): string {
  const code = 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), sort_keys=True, separators=(",", ":")))';
  return execFileSync(testPython, ['-c', code], { input: JSON.stringify(value), encoding: 'utf8' });
}

describe('buildPexInfo', () => {
  it("has PEX's field names and values", () => {
    const info = JSON.parse(buildPexInfo(input).json);
    expect(Object.keys(info)).toEqual([
      'bootstrap_hash',
      'build_properties',
      'code_hash',
      'deps_are_wheel_files',
      'distributions',
      'emit_warnings',
      'entry_point',
      'excluded',
      'includes_tools',
      'inherit_path',
      'interpreter_constraints',
      'interpreter_selection_strategy',
      'overridden',
      'pex_hash',
      'pex_nx',
      'pex_path',
      'requirements',
      'script',
      'strip_pex_env',
      'venv',
      'venv_bin_path',
      'venv_copies',
    ]);
    expect(info).toMatchObject({
      deps_are_wheel_files: true,
      distributions: { 'black-23.1.0-py3-none-any.whl': 'a'.repeat(64), 'click-8.1.3-py3-none-any.whl': 'b'.repeat(64) },
      entry_point: null,
      script: 'black',
      inherit_path: 'false',
      venv: true,
      venv_bin_path: 'false',
      strip_pex_env: true,
      pex_path: '',
      excluded: [],
      overridden: [],
      interpreter_selection_strategy: 'newest',
      code_hash: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      bootstrap_hash: input.bootstrapHash,
    });
  });

  it('writes lists in the sorted form pex reads them back in', () => {
    const info = JSON.parse(
      buildPexInfo({ ...input, requirements: ['zipp==3.0', 'attrs==23.1.0'], interpreterConstraints: ['>=3.9', '==3.8.*'] }).json,
    );
    expect(info.requirements).toEqual(['attrs==23.1.0', 'zipp==3.0']);
    expect(info.interpreter_constraints).toEqual(['==3.8.*', '>=3.9']);
  });

  it('pex_hash is the sha1 of the compact sorted dump without pex_hash, as Python writes it', () => {
    const { json, pexHash } = buildPexInfo(input);
    const info = JSON.parse(json);
    expect(info.pex_hash).toBe(pexHash);
    delete info.pex_hash;
    expect(pexHash).toBe(sha1(pythonDump(info)));
    expect(json).toBe(pythonDump(JSON.parse(json)));
  });

  it('changes pex_hash with any input', () => {
    const base = buildPexInfo(input).pexHash;
    expect(buildPexInfo({ ...input, codeHash: sha1('x') }).pexHash).not.toBe(base);
    expect(buildPexInfo({ ...input, bootstrapHash: sha1('x') }).pexHash).not.toBe(base);
    expect(buildPexInfo({ ...input, script: undefined, entryPoint: 'black:patched_main' }).pexHash).not.toBe(base);
    expect(buildPexInfo({ ...input }).pexHash).toBe(base);
    // Another selection of the same wheels is another archive: it must never share a venv dir.
    const [env] = input.environments;
    const ranked = { ...env, wheels: [['click-8.1.3-py3-none-any.whl', 'black-23.1.0-py3-none-any.whl']] };
    expect(buildPexInfo({ ...input, environments: [ranked] }).pexHash).not.toBe(base);
    expect(buildPexInfo({ ...input, environments: [env, { ...env, id: 'macos_arm64-cp311', platform: 'macos_arm64' }] }).pexHash).not.toBe(
      base,
    );
  });

  it('keeps the environments under its own key, as given', () => {
    const info = JSON.parse(buildPexInfo(input).json);
    expect(info.pex_nx).toEqual({ environments: input.environments });
  });

  it('keeps bytecode under its own key, part of pex_hash, and leaves the key out when there is none', () => {
    const sha = 'a'.repeat(64);
    const bytecode = { 'cpython-311': { 'click-8.1.3-py3-none-any.whl': sha } };
    const info = JSON.parse(buildPexInfo({ ...input, bytecode }).json);
    expect(info.pex_nx).toEqual({ environments: input.environments, bytecode });
    expect(buildPexInfo({ ...input, bytecode }).pexHash).not.toBe(buildPexInfo(input).pexHash);
    expect(buildPexInfo({ ...input, bytecode: {} }).pexHash).toBe(buildPexInfo(input).pexHash);
  });

  it('refuses bytecode for a wheel it does not pack, of another implementation, or without a sha256', () => {
    const cases: Array<[PexInfoInput['bytecode'], RegExp]> = [
      [{ 'cpython-311': { 'zzz-1-py3-none-any.whl': 'a'.repeat(64) } }, /bytecode for zzz-1-py3-none-any\.whl, which is not among/],
      [{ pypy39: { 'click-8.1.3-py3-none-any.whl': 'a'.repeat(64) } }, /cache tag 'pypy39' is not a CPython 3 tag/],
      [{ 'cpython-311': { 'click-8.1.3-py3-none-any.whl': 'nope' } }, /has no sha256/],
    ];
    for (const [bytecode, message] of cases) expect(() => buildPexInfo({ ...input, bytecode })).toThrow(message);
  });

  it('refuses environments that do not match the wheels, or that are malformed', () => {
    const [env] = input.environments;
    const cases: Array<[PexInfoInput['environments'], RegExp]> = [
      [[], /no environment is given/],
      [[{ ...env, wheels: [['black-23.1.0-py3-none-any.whl']] }], /click-8\.1\.3-py3-none-any\.whl is named by no environment/],
      [[{ ...env, wheels: [...env.wheels, ['zzz-1-py3-none-any.whl']] }], /names zzz-1-py3-none-any\.whl, which is not among/],
      [[{ ...env, wheels: [...env.wheels, []] }], /a package with no wheel/],
      [[env, env], /linux_x86_64-cp311 is given twice/],
      [[{ ...env, id: 'linux_x86_64-cp312' }], /is not '<platform>-cp3<minor>'/],
      [[{ ...env, id: 'windows-cp311', platform: 'windows' }], /is not '<platform>-cp3<minor>'/],
    ];
    for (const [environments, message] of cases) {
      expect(() => buildPexInfo({ ...input, environments })).toThrow(message);
    }
  });

  it('rejects entry_point and script together, and malformed ones', () => {
    expect(() => buildPexInfo({ ...input, entryPoint: 'black:main' })).toThrow(PexError);
    for (const entryPoint of ['black:', ':main', 'black main', 'a..b', 'a:b:c']) {
      expect(() => buildPexInfo({ ...input, script: undefined, entryPoint })).toThrow(/is not 'module' or 'module:function'/);
    }
    expect(() => buildPexInfo({ ...input, script: '../evil' })).toThrow(/is not a script name/);
    expect(JSON.parse(buildPexInfo({ ...input, script: undefined, entryPoint: 'pkg.mod:obj.method' }).json).entry_point).toBe(
      'pkg.mod:obj.method',
    );
  });
});

describe('pythonJson', () => {
  it('matches Python for escapes and nesting', () => {
    const value = { z: [1, 'tab\tquote"back\\', null, false], a: { ü: 'del\u007f' } };
    expect(pythonJson(value)).toBe(pythonDump(value));
  });
});

describe('codeHash', () => {
  it('hashes path, NUL, bytes, NUL in path order', () => {
    const files = [
      { path: 'pkg/b.py', data: Buffer.from('B') },
      { path: 'pkg/a.py', data: Buffer.from('A') },
    ];
    expect(codeHash(files)).toBe(sha1('pkg/a.py\0A\0pkg/b.py\0B\0'));
    expect(codeHash([{ path: 'x', data: Buffer.from('ab') }])).not.toBe(codeHash([{ path: 'xa', data: Buffer.from('b') }]));
  });
});
