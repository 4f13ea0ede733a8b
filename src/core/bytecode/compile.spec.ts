import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ERROR_LINE, formatError, PexError, sha256File } from '../common';
import { inspectInterpreter, Interpreter } from '../python';
import { buildTestWheel, testPython } from '../testing/wheels';
import type { WheelFile } from '../wheel';
import { compileBytecode } from './compile';
import { COMPILE_WHEELS_SCRIPT } from './compileScript';
import { recorder } from '../testing/reporter';

// Each case starts an interpreter or a few (tens of ms each, more on a busy machine).
jest.setTimeout(60_000);

let root: string;
let interpreter: Interpreter;
let minor: string;
let tag: string;
let alpha: WheelFile;
let beta: WheelFile;

async function wheelFile(file: string): Promise<WheelFile> {
  return { filename: path.basename(file), path: file, sha256: await sha256File(file) };
}

/** Runs Python code with the interpreter under test; argv[1:] are `args`. */
const python = (code: string, ...args: string[]) => execFileSync(interpreter.path, ['-I', '-c', code, ...args], { encoding: 'utf8' });

const members = (zip: string): string[] =>
  JSON.parse(python('import json, sys, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))', zip));

/** A fresh copy of the module graph: no probe remembered in memory, and a spy on the one way processes start. */
async function freshModules(): Promise<{ compile: typeof import('./compile'); started: jest.SpyInstance }> {
  let modules!: [typeof import('../common/exec'), typeof import('./compile')];
  await jest.isolateModulesAsync(async () => {
    modules = [await import('../common/exec'), await import('./compile')];
  });
  return { compile: modules[1], started: jest.spyOn(modules[0], 'run') };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pex-bytecode-spec-'));
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
  minor = interpreter.version.slice(0, 2).join('.');
  tag = `cpython-${interpreter.version[0]}${interpreter.version[1]}`;
  const wheels = path.join(root, 'wheels');
  alpha = await wheelFile(
    await buildTestWheel(wheels, {
      name: 'pexnx-alpha',
      version: '1.0',
      files: {
        'pexnx_alpha/mod.py': 'def answer():\n    return 42\n',
        'pexnx_alpha/broken.py': 'def broken(:\n',
        // Syntax of CPython 3.12: compiled by 3.12 and later only.
        'pexnx_alpha/aliases.py': 'type Number = int\n',
        'pexnx_alpha-1.0.data/purelib/alpha_top.py': 'TOP = "top"\n',
        'pexnx_alpha-1.0.data/scripts/alpha_script.py': 'print("a script, not a module")\n',
        'pexnx_alpha-1.0.data/data/share/alpha/example.py': 'print("data, not a module")\n',
      },
    }),
  );
  beta = await wheelFile(await buildTestWheel(wheels, { name: 'pexnx-beta', version: '1.0', noPackage: true }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('compileBytecode', () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = path.join(root, 'cache');
  });

  test('a zip per wheel with .py, named as importlib names the pycs, relative to site-packages; a wheel without .py has none', async () => {
    const report = recorder();
    const { files, missing } = await compileBytecode({
      targets: [{ python: minor, wheels: [alpha, beta] }],
      python: testPython,
      cacheDir,
      report,
    });
    expect(missing).toEqual([]);
    expect(report.lines).toEqual([`compiling bytecode with CPython ${minor} for 2 wheels`]);
    expect(files).toEqual([{ cacheTag: tag, wheel: alpha.filename, path: expect.any(String), sha256: await sha256File(files[0].path) }]);
    const magic = python('import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())').trim();
    expect(files[0].path).toBe(path.join(cacheDir, 'bytecode', `${tag}-${magic}`, `${alpha.sha256}.zip`));
    // No broken.py (it does not compile), no .data/scripts or .data/data file; aliases.py only from 3.12.
    expect(members(files[0].path)).toEqual(
      [
        `__pycache__/alpha_top.${tag}.pyc`,
        `pexnx_alpha/__pycache__/__init__.${tag}.pyc`,
        ...(interpreter.version[1] >= 12 ? [`pexnx_alpha/__pycache__/aliases.${tag}.pyc`] : []),
        `pexnx_alpha/__pycache__/mod.${tag}.pyc`,
      ].sort(),
    );
  });

  test('the interpreter loads each pyc (checked-hash) in place of compiling the source beside it', async () => {
    const [file] = (await compileBytecode({ targets: [{ python: minor, wheels: [alpha] }], python: testPython, cacheDir })).files;
    const site = path.join(root, 'site');
    // The wheel installed as an installer lays it out, and the bytecode zip over it.
    python(
      [
        'import os, sys, zipfile',
        'site, wheel, bytecode = sys.argv[1:]',
        'zipfile.ZipFile(wheel).extractall(site)',
        'os.replace(os.path.join(site, "pexnx_alpha-1.0.data/purelib/alpha_top.py"), os.path.join(site, "alpha_top.py"))',
        'zipfile.ZipFile(bytecode).extractall(site)',
      ].join('\n'),
      site,
      alpha.path,
      file.path,
    );
    const pyc = readFileSync(path.join(site, `pexnx_alpha/__pycache__/mod.${tag}.pyc`));
    expect(pyc.readUInt32LE(4)).toBe(3); // PEP 552 flags: hash-based, checked
    const sourceHash = python(
      'import importlib.util, sys; print(importlib.util.source_hash(open(sys.argv[1], "rb").read()).hex())',
      path.join(site, 'pexnx_alpha/mod.py'),
    ).trim();
    expect(pyc.subarray(8, 16).toString('hex')).toBe(sourceHash);
    // -v says `<pyc> matches <source>` for each pyc it validates and loads.
    const run = spawnSync(
      interpreter.path,
      [
        '-I',
        '-v',
        '-c',
        'import sys; sys.path.insert(0, sys.argv[1]); import pexnx_alpha.mod, alpha_top; print(pexnx_alpha.mod.answer())',
        site,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toBe('42\n');
    for (const module of ['pexnx_alpha/__init__', 'pexnx_alpha/mod', 'alpha_top']) {
      const pycPath = path.join(site, path.dirname(module), '__pycache__', `${path.basename(module)}.${tag}.pyc`);
      expect(run.stderr).toContain(`${pycPath} matches ${path.join(site, `${module}.py`)}`);
    }
  });

  test('a warm build starts no process at all, also in a fresh process: the cache and the interpreters are remembered', async () => {
    const before = await compileBytecode({ targets: [{ python: minor, wheels: [alpha, beta] }], python: testPython, cacheDir });
    const { compile, started } = await freshModules();
    const report = recorder();
    const after = await compile.compileBytecode({
      targets: [{ python: minor, wheels: [alpha, beta] }],
      python: testPython,
      cacheDir,
      report,
    });
    expect(after).toEqual(before);
    expect(started).not.toHaveBeenCalled();
    expect(report.lines).toEqual([]);
  });

  test('only the wheels the cache lacks go to the interpreter', async () => {
    const gamma = await wheelFile(await buildTestWheel(path.join(root, 'wheels'), { name: 'pexnx-gamma', version: '1.0' }));
    const report = recorder();
    const { files } = await compileBytecode({
      targets: [{ python: minor, wheels: [alpha, beta, gamma] }],
      python: testPython,
      cacheDir,
      report,
    });
    expect(report.lines).toEqual([`compiling bytecode with CPython ${minor} for 1 wheel`]);
    expect(files.map((f) => f.wheel)).toEqual([alpha.filename, gamma.filename]);
  });

  test("the archive runtime's modules compile once, as <module>.pyc for zipimport, by the build's interpreter", async () => {
    const runtime = path.join(root, 'runtime-src');
    mkdirSync(runtime, { recursive: true });
    writeFileSync(path.join(runtime, '__init__.py'), 'NAME = "pexnx"\n');
    writeFileSync(path.join(runtime, 'boot.py'), 'def main():\n    return 1\n');
    writeFileSync(path.join(runtime, 'contract.json'), '{}');
    const report = recorder();
    const first = await compileBytecode({ targets: [{ python: minor, wheels: [alpha] }], python: testPython, cacheDir, runtime, report });
    expect(report.lines).toEqual([`compiling bytecode with CPython ${minor} for the archive's runtime`]);
    expect(first.runtime?.cacheTag).toBe(tag);
    expect(first.runtime?.files.map((f) => f.name)).toEqual(['__init__.pyc', 'boot.pyc']);
    const pyc = readFileSync(first.runtime!.files[1].path);
    expect(pyc.readUInt32LE(4)).toBe(3);
    const again = recorder();
    expect(
      await compileBytecode({ targets: [{ python: minor, wheels: [alpha] }], python: testPython, cacheDir, runtime, report: again }),
    ).toEqual(first);
    expect(again.lines).toEqual([]);
    // Other sources are other bytecode.
    writeFileSync(path.join(runtime, 'boot.py'), 'def main():\n    return 2\n');
    const changed = await compileBytecode({ targets: [{ python: minor, wheels: [alpha] }], python: testPython, cacheDir, runtime });
    expect(readFileSync(changed.runtime!.files[1].path).equals(pyc)).toBe(false);
  });

  test('a minor with no interpreter here is missing, and nothing is started for it', async () => {
    const report = recorder();
    const result = await compileBytecode({ targets: [{ python: '3.20', wheels: [alpha] }], cacheDir, report });
    expect(result).toEqual({ files: [], missing: ['3.20'] });
    expect(report.lines).toEqual([]);
  });

  test('every minor found here is compiled by a CPython of that minor, one process each; files sorted by cache tag', async () => {
    const minors = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13'];
    const report = recorder();
    const { files, missing } = await compileBytecode({
      targets: minors.map((python) => ({ python, wheels: [alpha] })),
      python: testPython,
      cacheDir: path.join(root, 'cache-minors'),
      report,
    });
    const found = minors.filter((m) => !missing.includes(m));
    expect(found).toContain(minor); // the python option's own minor, at least
    expect(report.lines.sort()).toEqual(found.map((m) => `compiling bytecode with CPython ${m} for 1 wheel`).sort());
    const tags = found.map((m) => `cpython-${m.replace('.', '')}`).sort();
    expect(files.map((f) => [f.cacheTag, f.wheel])).toEqual(tags.map((t) => [t, alpha.filename]));
    for (const file of files) {
      // Syntax of 3.12 compiles only there and later: each minor compiled with its own interpreter.
      const aliases = `pexnx_alpha/__pycache__/aliases.${file.cacheTag}.pyc`;
      expect(members(file.path).includes(aliases)).toBe(Number(file.cacheTag.slice('cpython-3'.length)) >= 12);
    }
  });

  test('an interpreter writes the same bytes for a wheel on every run, whatever it compiled before and whatever PYTHON* says', async () => {
    // Sets are marshalled in hash order, and objects marked by their reference counts (before 3.11).
    const files = {
      'pexnx_sets/__init__.py': 'def known(x):\n    return x in {"alpha", "beta", "gamma", "delta"}\n',
      'pexnx_sets/more.py': 'NAMES = frozenset({"one", "two", "three"})\nassert "one" in NAMES\n',
    };
    const sets = await wheelFile(await buildTestWheel(path.join(root, 'wheels'), { name: 'pexnx-sets', version: '1.0', files }));
    const minors = ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13'];
    const compiled = async (cache: string, wheels: WheelFile[], env = process.env) => {
      const targets = minors.map((python) => ({ python, wheels }));
      const { files } = await compileBytecode({ targets, python: testPython, cacheDir: path.join(root, cache), env });
      return files.filter((f) => f.wheel === sets.filename).map((f) => [f.cacheTag, members(f.path), f.sha256]);
    };
    const alone = await compiled('cache-alone', [sets]);
    expect(alone.length).toBeGreaterThan(0);
    const pythonVariables = { PYTHONDONTWRITEBYTECODE: '1', PYTHONOPTIMIZE: '2', PYTHONPYCACHEPREFIX: path.join(root, 'prefix') };
    expect(await compiled('cache-after', [alpha, sets], { ...process.env, ...pythonVariables, PYTHONHASHSEED: 'random' })).toEqual(alone);
  });
});

describe('a build killed while it writes a bytecode zip', () => {
  test('leaves no zip that a later build takes as complete', async () => {
    // A pyc of some megabytes of incompressible text: deflating it takes long enough to kill the writer.
    const text = randomBytes(5_000_000).toString('base64');
    const big = await wheelFile(
      await buildTestWheel(path.join(root, 'wheels'), {
        name: 'pexnx-big',
        version: '1.0',
        files: { 'pexnx_big/text.py': `TEXT = "${text}"\n` },
      }),
    );
    const cacheDir = mkdtempSync(path.join(root, 'killed-'));
    const magic = python('import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())').trim();
    const dir = path.join(cacheDir, 'bytecode', `${tag}-${magic}`);
    mkdirSync(dir, { recursive: true });
    const out = path.join(dir, `${big.sha256}.zip`);
    const writer = spawn(interpreter.path, ['-s', '-S', COMPILE_WHEELS_SCRIPT], {
      env: { ...process.env, PYTHONHASHSEED: '0' },
      detached: true, // its own process group: the forked child that writes goes with it
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    writer.stdin.end(JSON.stringify([{ wheel: big.path, out }]));
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    const writing = () => readdirSync(dir).some((name) => name.includes('.tmp-') && statSync(path.join(dir, name)).size > 0);
    while (!writing()) await new Promise((resolve) => setTimeout(resolve, 1));
    process.kill(-writer.pid!, 'SIGKILL');
    await exited;
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/\.zip\.tmp-/)]);
    const report = recorder();
    const { files } = await compileBytecode({ targets: [{ python: minor, wheels: [big] }], python: testPython, cacheDir, report });
    expect(report.lines).toEqual([`compiling bytecode with CPython ${minor} for 1 wheel`]);
    expect(files.map((f) => f.path)).toEqual([out]);
    expect(members(out)).toEqual([`pexnx_big/__pycache__/__init__.${tag}.pyc`, `pexnx_big/__pycache__/text.${tag}.pyc`]);
  });
});

describe('compileBytecode with a broken or changed interpreter', () => {
  /** An interpreter that answers the probe as CPython 3.19, and otherwise fails as a broken install does. */
  function brokenPython(dir: string): string {
    const file = path.join(dir, 'python3.19');
    const facts = { executable: file, version: [3, 19, 0], implementation: 'cpython', platform: 'linux-x86_64', pip: null };
    const body = [
      '#!/bin/sh',
      `if [ "$1" = -c ]; then echo '${JSON.stringify(facts)}'; exit 0; fi`,
      'echo "Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem encoding" >&2',
      'echo "ModuleNotFoundError: No module named \'encodings\'" >&2',
      'exit 1',
    ];
    writeFileSync(file, `${body.join('\n')}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  test('a failing interpreter is one error line naming it and its last line on stderr', async () => {
    const dir = mkdtempSync(path.join(root, 'broken-'));
    const broken = brokenPython(dir);
    const error = await compileBytecode({
      targets: [{ python: '3.19', wheels: [alpha] }],
      python: broken,
      cacheDir: path.join(dir, 'cache'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    const line = formatError(error as PexError);
    expect(line).toMatch(ERROR_LINE);
    expect(line).toBe(
      `pex: the bytecode could not be compiled (ModuleNotFoundError: No module named 'encodings'), ${broken} (CPython 3.19.0): ` +
        "repair that interpreter or take it off PATH, or set the pex target's compile option to false",
    );
  });

  test('an interpreter file that changed is probed again', async () => {
    const dir = mkdtempSync(path.join(root, 'changed-'));
    const wrapper = path.join(dir, `python${minor}`);
    writeFileSync(wrapper, `#!/bin/sh\nexec '${interpreter.path}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const opts = { targets: [{ python: minor, wheels: [beta] }], python: wrapper, cacheDir: path.join(dir, 'cache') };
    await compileBytecode(opts);
    const unchanged = await freshModules();
    await unchanged.compile.compileBytecode(opts);
    expect(unchanged.started).not.toHaveBeenCalled();
    utimesSync(wrapper, new Date(), new Date(Date.now() + 5000));
    const changed = await freshModules();
    await changed.compile.compileBytecode(opts);
    expect(changed.started.mock.calls.map((c) => c[0])).toEqual([wrapper, interpreter.path]); // the probe, then the format's
  });
});
