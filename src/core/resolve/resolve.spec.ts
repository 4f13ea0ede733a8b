import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { sha256File } from '../common';
import { formatLockfile, lockedFiles, Lockfile } from '../lock';
import { environmentId, inspectInterpreter, Interpreter, interpreterEnvironment } from '../python';
import { parseRequirements, requirementsHash } from '../requirements';
import { resolve } from './resolve';
import { serveWheels } from '../testing/httpServer';
import { lockTool } from '../workflows';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';

// pip starts in about a second, more on a busy machine.
jest.setTimeout(60_000);

let workspace: string;
let wheels: string;
let interpreter: Interpreter;
const env = isolatedPipEnv();

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), 'pex-resolve-spec-'));
  wheels = path.join(workspace, 'tools', 'x', 'wheels');
  await buildTestWheel(wheels, { name: 'pexnx-alpha', version: '1.0', requires: ['pexnx-beta>=1'] });
  await buildTestWheel(wheels, { name: 'pexnx-beta', version: '1.0' });
  await buildTestWheel(wheels, { name: 'pexnx-beta', version: '2.0' });
  writeFileSync(path.join(wheels, 'pexnx-gamma-1.0.tar.gz'), 'an sdist pip may not use');
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** The interpreter's own environment only, as a lock of one environment. */
const own = () => ({
  platforms: [interpreterEnvironment(interpreter)!.platform],
  interpreterConstraints: [`==${interpreter.version.slice(0, 2).join('.')}.*`],
});
const ownId = () => environmentId(interpreterEnvironment(interpreter)!);
const artifactsOf = (lock: Lockfile) => lockedFiles(lock);

const lockOf = (text: string, extra: { cwd?: string; index?: { findLinks?: string[]; noIndex?: boolean } } = {}) =>
  resolve({
    interpreter,
    requirements: parseRequirements(text, 'requirements.txt'),
    ...own(),
    workspaceRoot: workspace,
    cwd: extra.cwd ?? path.join(workspace, 'tools', 'x'),
    index: extra.index,
    env,
  });

describe('resolve', () => {
  it('locks exact versions with sha256, local files as paths relative to the lock', async () => {
    const text = '--no-index\n--find-links ./wheels\nPexNX_Alpha\n';
    const lock = await lockOf(text);
    expect(artifactsOf(lock)).toEqual([
      {
        name: 'pexnx-alpha',
        version: '1.0',
        filename: 'pexnx_alpha-1.0-py3-none-any.whl',
        path: 'wheels/pexnx_alpha-1.0-py3-none-any.whl',
        size: statSync(path.join(wheels, 'pexnx_alpha-1.0-py3-none-any.whl')).size,
        sha256: await sha256File(path.join(wheels, 'pexnx_alpha-1.0-py3-none-any.whl')),
      },
      {
        name: 'pexnx-beta',
        version: '2.0',
        filename: 'pexnx_beta-2.0-py3-none-any.whl',
        path: 'wheels/pexnx_beta-2.0-py3-none-any.whl',
        size: statSync(path.join(wheels, 'pexnx_beta-2.0-py3-none-any.whl')).size,
        sha256: await sha256File(path.join(wheels, 'pexnx_beta-2.0-py3-none-any.whl')),
      },
    ]);
    expect(lock).toMatchObject({
      requirements: ['pexnx-alpha'],
      pipOptions: ['--no-index', '--find-links ./wheels'],
      requirementsHash: requirementsHash(parseRequirements(text, 'r')),
      interpreterConstraints: own().interpreterConstraints,
      environments: [{ ...interpreterEnvironment(interpreter), covered: true }],
    });
    expect(lock.packages.every((p) => p.environments.join() === ownId())).toBe(true);
  });

  it('takes index options from the target, with find-links relative to the workspace root', async () => {
    const lock = await lockOf('pexnx-alpha\npexnx-beta<2\n', { cwd: tmpdir(), index: { noIndex: true, findLinks: ['tools/x/wheels'] } });
    expect(artifactsOf(lock).map((a) => `${a.name}==${a.version}`)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);
  });

  it('says which requirement has no wheel or sdist', async () => {
    const error = await lockOf('--no-index\n--find-links ./wheels\npexnx-nothing\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(new RegExp(`^pexnx-nothing has no wheel or sdist for ${ownId()} .*build a wheel`));
  });

  it('reports an sdist that pip cannot build in one line', async () => {
    const error = await lockOf('--no-index\n--find-links ./wheels\npexnx-gamma\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(/^pip could not resolve the requirements for linux_\w+-cp3\d+: .*: fix requirements.txt/);
    expect((error as Error).message).not.toContain('\n');
  });

  it("reports pip's resolution failure in one line", async () => {
    const error = await lockOf('--no-index\n--find-links ./wheels\npexnx-alpha\npexnx-beta<1\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(
      /^pip could not resolve the requirements for \w+-cp3\d+: .*pexnx-beta.*: fix requirements.txt/,
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('never records credentials of an authenticated find-links server', async () => {
    const server = await serveWheels(wheels, { user: 'me', password: 's3cret' });
    try {
      const lock = await lockOf(`--no-index\n--find-links http://me:s3cret@127.0.0.1:${server.port}/\npexnx-alpha\n`);
      const text = formatLockfile(lock);
      expect(text).not.toContain('s3cret');
      expect(lock.pipOptions).toEqual(['--no-index', `--find-links http://127.0.0.1:${server.port}/`]);
      expect(artifactsOf(lock)[0].url).toBe(`http://127.0.0.1:${server.port}/pexnx_alpha-1.0-py3-none-any.whl`);
      expect(artifactsOf(lock)[0].sha256).toBe(await sha256File(path.join(wheels, 'pexnx_alpha-1.0-py3-none-any.whl')));
    } finally {
      await server.close();
    }
  });

  it('hashes wheels itself when pip reports no hash (pip < 23)', async () => {
    // The real pip behind a wrapper that drops the hashes from its report, as older pips do.
    const wrapper = path.join(workspace, 'python-without-report-hashes');
    writeFileSync(
      wrapper,
      `#!${interpreter.path}
import json, subprocess, sys
args = sys.argv[1:]
code = subprocess.call([sys.executable] + args)
if code == 0 and args[:3] == ["-m", "pip", "install"]:
    report = args[args.index("--report") + 1]
    data = json.load(open(report))
    for item in data["install"]:
        item["download_info"]["archive_info"] = {}
    json.dump(data, open(report, "w"))
sys.exit(code)
`,
    );
    chmodSync(wrapper, 0o755);
    const served = path.join(workspace, 'served');
    mkdirSync(served);
    const delta = await buildTestWheel(served, { name: 'pexnx-delta', version: '1.0', requires: ['pexnx-beta'] });
    const server = await serveWheels(served, { user: 'me', password: 'pw' });
    try {
      const lock = await resolve({
        interpreter: { ...interpreter, path: wrapper },
        requirements: parseRequirements(`--no-index\n--find-links ./wheels\npexnx-delta\n`, 'r'),
        ...own(),
        workspaceRoot: workspace,
        cwd: path.join(workspace, 'tools', 'x'),
        env: isolatedPipEnv({ PIP_FIND_LINKS: `http://me:pw@127.0.0.1:${server.port}/` }),
      });
      expect(artifactsOf(lock).map((a) => [a.url ?? a.path, a.sha256])).toEqual([
        ['wheels/pexnx_beta-2.0-py3-none-any.whl', await sha256File(path.join(wheels, 'pexnx_beta-2.0-py3-none-any.whl'))],
        [`http://127.0.0.1:${server.port}/pexnx_delta-1.0-py3-none-any.whl`, await sha256File(delta)],
      ]);
    } finally {
      await server.close();
    }
  });

  it('needs pip >= 22.2, and says how to get it', async () => {
    const reqs = parseRequirements('x\n', 'r');
    const old = { ...interpreter, path: '/opt/py/bin/python3', pip: '22.1.2' };
    await expect(resolve({ interpreter: old, requirements: reqs, workspaceRoot: workspace, cwd: workspace })).rejects.toThrow(
      'the interpreter has pip 22.1.2, but locking needs pip >= 22.2, /opt/py/bin/python3 (Python ' +
        interpreter.version.join('.') +
        "): run '/opt/py/bin/python3 -m pip install --upgrade pip'",
    );
    const none = { ...interpreter, pip: null };
    await expect(resolve({ interpreter: none, requirements: reqs, workspaceRoot: workspace, cwd: workspace })).rejects.toThrow(
      /^the interpreter has no pip, .*: run '.* -m ensurepip --upgrade'/,
    );
  });

  it('names an interpreter without pip (a venv made --without-pip) and writes no lock', async () => {
    const venv = path.join(workspace, 'no-pip-venv');
    execFileSync(testPython, ['-m', 'venv', '--without-pip', venv]);
    const files = {
      workspaceRoot: workspace,
      requirementsFile: path.join(workspace, 'tools', 'x', 'requirements.txt'),
      lockFile: path.join(workspace, 'tools', 'x', 'pylock.toml'),
    };
    writeFileSync(files.requirementsFile, 'pexnx-alpha\n');
    const error = await lockTool({ ...files, python: path.join(venv, 'bin', 'python'), env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the interpreter has no pip, ${venv}/bin/python[0-9.]* \\(Python [0-9.]+\\): run '${venv}/bin/python[0-9.]* -m ensurepip ` +
          `--upgrade', or choose another interpreter with the python option$`,
      ),
    );
    expect(existsSync(files.lockFile)).toBe(false);
  });

  it('refuses an empty requirements file', async () => {
    await expect(lockOf('# nothing\n')).rejects.toThrow('there are no requirements to lock');
  });
});
