import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { findInterpreter, inspectInterpreter } from './interpreters';
import { testPython } from '../testing/wheels';

let bin: string;

/** A fake interpreter: answers the probe with fixed facts and counts its calls. */
function fakePython(name: string, facts: { version?: number[]; implementation?: string; pip?: string | null; exit?: number }): string {
  const file = path.join(bin, name);
  const json = JSON.stringify({
    executable: file,
    version: facts.version ?? [3, 11, 0],
    implementation: facts.implementation ?? 'cpython',
    platform: 'linux-x86_64',
    pip: facts.pip === undefined ? '23.2' : facts.pip,
  });
  const body = facts.exit ? `echo "broken shim" >&2\nexit ${facts.exit}` : `echo x >> "${file}.calls"\necho '${json}'`;
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), 'pex-python-spec-'));
  fakePython('python3', { version: [3, 11, 0] });
  fakePython('python3.9', { version: [3, 9, 0] });
  fakePython('python3.12', { version: [3, 12, 1], pip: null });
  fakePython('python3.13', { exit: 127 });
  fakePython('python', { version: [2, 7, 18] });
  mkdirSync(path.join(bin, 'pypy'));
  mkdirSync(path.join(bin, 'other'));
  fakePython('pypy/python3', { version: [3, 10, 0], implementation: 'pypy' });
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const env = () => ({ PATH: bin });

describe('inspectInterpreter', () => {
  it('probes a real Python', async () => {
    const interpreter = await inspectInterpreter(
      execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
    );
    const [major, minor] = execFileSync(testPython, ['-c', 'import sys; print(*sys.version_info[:3])'], { encoding: 'utf8' })
      .split(' ')
      .map(Number);
    expect(interpreter.version.slice(0, 2)).toEqual([major, minor]);
    expect(interpreter.implementation).toBe('cpython');
    expect(interpreter.tag).toBe(`cp${major}${minor}`);
    expect(interpreter.platform).toMatch(/\w/);
    expect(interpreter.pip).toMatch(/^\d+\.\d+/);
  });

  it('probes each path once per process', async () => {
    const file = fakePython('other/counted', { version: [3, 10, 4] });
    await inspectInterpreter(file);
    expect((await inspectInterpreter(file)).version).toEqual([3, 10, 4]);
    expect(readFileSync(`${file}.calls`, 'utf8')).toBe('x\n');
  });

  it('rejects what is not a Python', async () => {
    await expect(inspectInterpreter('/bin/echo')).rejects.toThrow(/^not a Python interpreter/);
    await expect(inspectInterpreter(path.join(bin, 'python3.13'))).rejects.toThrow(/^not a working Python \(exit 127: broken shim\), /);
    await expect(inspectInterpreter(path.join(bin, 'missing'))).rejects.toThrow(PexError);
  });
});

describe('findInterpreter', () => {
  it('takes python3, then python, without constraints', async () => {
    expect((await findInterpreter({ env: env() })).path).toBe(path.join(bin, 'python3'));
  });

  it('takes the newest python3.X the constraints allow', async () => {
    expect((await findInterpreter({ constraints: ['>=3.9,<3.11'], env: env() })).version).toEqual([3, 9, 0]);
    // python3.13 is a broken shim: skipped, not fatal.
    expect((await findInterpreter({ constraints: ['>=3.12'], env: env() })).version).toEqual([3, 12, 1]);
  });

  it('lists what it found when nothing fits', async () => {
    const error = await findInterpreter({ constraints: ['>=3.14'], env: env() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toBe(
      'no interpreter satisfies CPython >=3.14 (found: python3 (cpython 3.11.0), python (cpython 2.7.18)), PATH: ' +
        "install one, choose one with the lock target's python option (or PEX_PYTHON), or change the constraints (the " +
        "lock target's interpreterConstraints, which pex:tool --python sets)",
    );
  });

  it('says so in one line when there is no Python on PATH at all', async () => {
    const empty = mkdtempSync(path.join(bin, 'empty-'));
    const error = await findInterpreter({ env: { PATH: empty } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toBe(
      "no interpreter satisfies CPython >= 3.8 (found: none), PATH: install one, choose one with the lock target's " +
        "python option (or PEX_PYTHON), or change the constraints (the lock target's interpreterConstraints, which " +
        'pex:tool --python sets)',
    );
    const missing = await findInterpreter({ python: '/nonexistent/python3', env: { PATH: empty } }).catch((e: unknown) => e);
    expect((missing as Error).message).toBe(
      "'/nonexistent/python3' was not found, python: install it, or set python to another interpreter",
    );
  });

  it('skips other implementations and Python 2', async () => {
    const error = await findInterpreter({ env: { PATH: path.join(bin, 'pypy') } }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('found: python3 (pypy 3.10.0)');
  });

  it('uses the python option, then PEX_PYTHON, and checks them against the constraints', async () => {
    expect((await findInterpreter({ python: 'python3.9', env: { ...env(), PEX_PYTHON: 'python3.12' } })).version).toEqual([3, 9, 0]);
    expect((await findInterpreter({ env: { ...env(), PEX_PYTHON: 'python3.12' } })).version).toEqual([3, 12, 1]);
    expect((await findInterpreter({ python: path.join(bin, 'python3.9'), env: {} })).version).toEqual([3, 9, 0]);
    await expect(findInterpreter({ python: 'python3.9', constraints: ['>=3.10'], env: env() })).rejects.toThrow(
      "'python3.9' cannot be used: cpython 3.9.0 does not satisfy >=3.10, python: set python",
    );
    await expect(findInterpreter({ python: 'python9', env: env() })).rejects.toThrow("'python9' was not found on PATH, python: install it");
    await expect(findInterpreter({ env: { ...env(), PEX_PYTHON: 'python' } })).rejects.toThrow(
      /^'python' cannot be used: .*, PEX_PYTHON: set PEX_PYTHON/,
    );
  });
});

describe('pyenv versions that are installed but not active', () => {
  let root: string;
  let shims: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'pex-pyenv-spec-'));
    shims = path.join(root, 'shims');
    mkdirSync(shims);
    // pyenv's shims of inactive versions fail when run; python3 is the active version.
    for (const name of ['python3.12', 'python3.13']) {
      writeFileSync(path.join(shims, name), `#!/bin/sh\necho "pyenv: ${name}: command not found" >&2\nexit 127\n`);
      chmodSync(path.join(shims, name), 0o755);
    }
    const active = fakePython('python3', { version: [3, 11, 7] });
    execFileSync('cp', [active, path.join(shims, 'python3')]);
    for (const [version, minor] of [
      ['3.12.0', '3.12'],
      ['3.12.1', '3.12'],
      ['3.13.0', '3.13'],
      ['3.12-dev', '3.12'],
    ]) {
      const dir = path.join(root, 'versions', version, 'bin');
      mkdirSync(dir, { recursive: true });
      const facts = JSON.stringify({
        executable: path.join(dir, `python${minor}`),
        version: version.split('.').map(Number),
        implementation: 'cpython',
        platform: 'linux-x86_64',
        pip: '23.2',
      });
      writeFileSync(path.join(dir, `python${minor}`), `#!/bin/sh\necho '${facts}'\n`);
      chmodSync(path.join(dir, `python${minor}`), 0o755);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the newest installed 3.X the constraints allow, in the pyenv root whose shims are on PATH', async () => {
    expect((await findInterpreter({ constraints: ['>=3.12,<3.13'], env: { PATH: shims } })).path).toBe(
      path.join(root, 'versions', '3.12.1', 'bin', 'python3.12'),
    );
    expect((await findInterpreter({ constraints: ['>=3.12'], env: { PATH: shims } })).path).toBe(
      path.join(root, 'versions', '3.13.0', 'bin', 'python3.13'),
    );
  });

  it('names pyenv in the message when nothing fits', async () => {
    const error = await findInterpreter({ constraints: ['>=3.14'], env: { PATH: shims } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^no interpreter satisfies CPython >=3.14 \\(found: python3 \\(cpython ` +
          `3\\.11\\.7\\)\\), PATH and ${root}/versions: install one, choose one with the lock target's python option`,
      ),
    );
  });
});
