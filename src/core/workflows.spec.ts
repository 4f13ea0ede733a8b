import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as archiveModule from './archive/archive';
import { RUNTIME_DIR } from './archive';
import { sha256File } from './common';
import * as exec from './common/exec';
import { writeLockfile } from './lock';
import { inspectInterpreter, Interpreter } from './python';
import { parseRequirements, requirementsHash } from './requirements';
import { buildTestWheel, testPython } from './testing/wheels';
import { buildTool } from './workflows';
import { recorder } from './testing/reporter';

// buildTool and its compile option: the bytecode of the archive's covered minors, compiled here.
jest.setTimeout(60_000);

let root: string;
let interpreter: Interpreter;
let minor: string;
let next: string;
let wheel: string;
/** PATH holds only `python3.X` of the interpreter under test: the next minor has no interpreter here. */
let env: NodeJS.ProcessEnv;

const files = () => ({
  workspaceRoot: root,
  requirementsFile: path.join(root, 'tools/hello/requirements.txt'),
  lockFile: path.join(root, 'tools/hello/pylock.toml'),
});

async function build(out: string, options: { compile?: boolean } = {}) {
  const report = recorder();
  const started = jest.spyOn(exec, 'run');
  const archive = jest.spyOn(archiveModule, 'buildArchive');
  try {
    await buildTool({
      ...files(),
      out: path.join(root, 'dist', out),
      script: 'hello',
      cacheDir: path.join(root, 'cache'),
      env,
      report,
      lockCommand: 'nx run hello:lock',
      pluginVersion: '0.0.0',
      ...options,
    });
    const { bytecode, runtimeBytecode } = archive.mock.calls[0][0];
    return { lines: report.lines, started: started.mock.calls.map((c) => c[0]), bytecode, runtimeBytecode };
  } finally {
    started.mockRestore();
    archive.mockRestore();
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pex-workflows-spec-'));
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
  minor = interpreter.version.slice(0, 2).join('.');
  next = `3.${interpreter.version[1] + 1}`;
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(interpreter.path, path.join(bin, `python${minor}`));
  env = { PATH: bin, HOME: root };

  const tool = path.join(root, 'tools/hello');
  wheel = await buildTestWheel(path.join(tool, 'wheels'), { name: 'hello', version: '1.0', consoleScripts: { hello: 'hello:main' } });
  const requirements = parseRequirements('--no-index\n--find-links wheels\nhello==1.0\n', 'requirements.txt');
  writeFileSync(files().requirementsFile, '--no-index\n--find-links wheels\nhello==1.0\n');
  // Written as the lock target would for linux_x86_64 and two minors, without running pip.
  const ids = [minor, next].map((python) => `linux_x86_64-cp${python.replace('.', '')}`);
  writeLockfile(files().lockFile, {
    requirements: requirements.requirements,
    pipOptions: requirements.pipOptions,
    requirementsHash: requirementsHash(requirements),
    interpreterConstraints: [],
    environments: [minor, next].map((python) => ({ platform: 'linux_x86_64', python, covered: true })),
    packages: [
      {
        name: 'hello',
        version: '1.0',
        environments: ids,
        files: [
          {
            name: 'hello',
            version: '1.0',
            filename: path.basename(wheel),
            path: `wheels/${path.basename(wheel)}`,
            sha256: await sha256File(wheel),
          },
        ],
      },
    ],
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('buildTool', () => {
  test('compile: false starts no interpreter and ships no bytecode', async () => {
    const { lines, started, bytecode, runtimeBytecode } = await build('plain.pex', { compile: false });
    expect(started).toEqual([]);
    expect(bytecode).toBeUndefined();
    expect(runtimeBytecode).toBeUndefined();
    expect(lines).toEqual([]);
  });

  test("each covered minor with an interpreter here gets its bytecode, and one the runtime's; a minor without one is told", async () => {
    const { lines, bytecode, runtimeBytecode } = await build('compiled.pex');
    expect(lines).toEqual([
      `compiling bytecode with CPython ${minor} for 1 wheel and the archive's runtime`,
      `no CPython ${next} here: its bytecode is compiled on the tool's first run`,
    ]);
    expect(bytecode).toEqual([
      {
        cacheTag: `cpython-${minor.replace('.', '')}`,
        wheel: path.basename(wheel),
        path: expect.stringMatching(new RegExp(`^${path.join(root, 'cache', 'bytecode')}/`)),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    // One .pyc per module of the shipped runtime, for the minor compiled here.
    const modules = readdirSync(path.join(RUNTIME_DIR, 'pexnx')).filter((name) => name.endsWith('.py'));
    expect(runtimeBytecode?.cacheTag).toBe(`cpython-${minor.replace('.', '')}`);
    expect(runtimeBytecode?.files.map((file) => file.name)).toEqual(modules.map((name) => `${name}c`).sort());
  });

  test('a second build takes the bytecode from the cache: no interpreter starts', async () => {
    const first = await build('first.pex');
    const second = await build('second.pex');
    expect(second.started).toEqual([]);
    expect(second.bytecode).toEqual(first.bytecode);
    expect(second.runtimeBytecode).toEqual(first.runtimeBytecode);
    expect(second.lines).toEqual([`no CPython ${next} here: its bytecode is compiled on the tool's first run`]);
  });
});
