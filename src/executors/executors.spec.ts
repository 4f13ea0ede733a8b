import type { ExecutorContext } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listFiles } from '../core/testing/kill';
import { buildTestWheel, isolatedPipEnv, testPython } from '../core/testing/wheels';
import lockExecutor from './lock/executor';
import pexExecutor from './pex/executor';
import runExecutor from './run/executor';
import venvExecutor from './venv/executor';

// Bad executor options, as a user writes them in project.json or on the command line: each
// fails the target with one `pex:` line that names the problem and the fix, and changes no file.
jest.setTimeout(60_000);

let ws: string;
let savedEnv: NodeJS.ProcessEnv;
let errors: string[];

const context = (projectName = 'hello'): ExecutorContext =>
  ({
    root: ws,
    cwd: ws,
    isVerbose: false,
    projectName,
    projectsConfigurations: { version: 2, projects: { hello: { root: 'tools/hello' }, app: { root: 'apps/app' } } },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  }) as unknown as ExecutorContext;

/** Every file of the workspace and the wheel cache with its content hash: what "changes nothing" compares. */
function snapshot(): Record<string, string> {
  return Object.fromEntries(listFiles(ws).map((f) => [path.relative(ws, f), createHash('sha256').update(readFileSync(f)).digest('hex')]));
}

const pexDefaults = {
  requirements: '{projectRoot}/requirements.txt',
  lockFile: '{projectRoot}/pylock.toml',
  outputPath: 'dist/{projectRoot}/{projectName}.pex',
  sources: '{projectRoot}/src',
  script: 'hello',
};
// Two platforms, so a pex target can name platforms the lock lacks.
const lockDefaults = {
  requirements: '{projectRoot}/requirements.txt',
  lockFile: '{projectRoot}/pylock.toml',
  python: testPython,
  platforms: 'linux_x86_64,macos_arm64',
};
const venvDefaults = { archive: 'dist/{projectRoot}/{projectName}.pex', outputPath: 'dist/{projectRoot}/venv', compile: false };

beforeAll(async () => {
  savedEnv = process.env;
  ws = mkdtempSync(path.join(tmpdir(), 'pex-executors-spec-'));
  const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.env = isolatedPipEnv({ PEX_NX_WHEEL_CACHE: path.join(ws, '.wheel-cache'), PEX_ROOT: path.join(ws, '.pex-root') });
  const tool = path.join(ws, 'tools/hello');
  await buildTestWheel(path.join(tool, 'wheels'), { name: 'hello', version: '1.0', consoleScripts: { hello: 'hello:main' } });
  writeFileSync(path.join(tool, 'requirements.txt'), '--no-index\n--find-links wheels\nhello==1.0\n');
  mkdirSync(path.join(ws, 'apps/app'), { recursive: true });
  expect(await lockExecutor(lockDefaults, context())).toEqual({ success: true });
  expect(await pexExecutor(pexDefaults, context())).toEqual({ success: true });
  quiet.mockRestore();
});
afterAll(() => {
  process.env = savedEnv;
  rmSync(ws, { recursive: true, force: true });
});
beforeEach(() => {
  errors = [];
  // The executors print through core/common/report, to stderr: `pex: ` lines are errors, `[pex] ` lines information.
  jest.spyOn(process.stderr, 'write').mockImplementation((text: string | Uint8Array) => {
    errors.push(
      ...String(text)
        .split('\n')
        .filter((l) => l.startsWith('pex: ')),
    );
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

type Case = [string, () => Promise<{ success: boolean }>, RegExp];
const cases: Case[] = [
  [
    'pex: script and entryPoint together',
    () => pexExecutor({ ...pexDefaults, entryPoint: 'hello:main' }, context()),
    /both script 'hello' and entryPoint/,
  ],
  [
    'pex: a script the wheels lack',
    () => pexExecutor({ ...pexDefaults, script: 'nope' }, context()),
    /script 'nope' is not provided .*choose one of: hello/,
  ],
  [
    'pex: a malformed entryPoint',
    () => pexExecutor({ ...pexDefaults, script: undefined, entryPoint: 'hello:' }, context()),
    /entry point 'hello:' is not 'module' or 'module:function'/,
  ],
  [
    'pex: a missing requirements file',
    () => pexExecutor({ ...pexDefaults, requirements: '{projectRoot}/nope.txt' }, context()),
    /the requirements file does not exist, tools\/hello\/nope.txt: create it/,
  ],
  [
    'pex: requirements that is a directory',
    () => pexExecutor({ ...pexDefaults, requirements: '{projectRoot}/wheels' }, context()),
    /the requirements file is not a file, tools\/hello\/wheels: point the requirements option/,
  ],
  [
    'pex: a missing lock file',
    () => pexExecutor({ ...pexDefaults, lockFile: '{projectRoot}/nope.json' }, context()),
    /the lock does not exist, .*nope.json: run the lock target/,
  ],
  [
    'pex: a lockFile that is a directory',
    () => pexExecutor({ ...pexDefaults, lockFile: '{projectRoot}/wheels' }, context()),
    /the lock is not a file, .*wheels: point the lockFile option/,
  ],
  [
    'pex: outputPath that is a directory',
    () => pexExecutor({ ...pexDefaults, outputPath: 'dist/tools' }, context()),
    /dist\/tools is a directory, not an archive path/,
  ],
  [
    'pex: outputPath below a file',
    () => pexExecutor({ ...pexDefaults, outputPath: '{projectRoot}/requirements.txt/x.pex' }, context()),
    /^pex: cannot write the file \(a parent is a file\), \/.*\/requirements.txt\/x.pex: fix that or choose another path$/,
  ],
  [
    'pex: a token out of place',
    () => pexExecutor({ ...pexDefaults, outputPath: 'dist/{workspaceRoot}/x.pex' }, context()),
    /^pex: The \{workspaceRoot\} token is only valid at the beginning of an option, path 'dist\/\{workspaceRoot\}\/x\.pex': move the token/,
  ],
  [
    'pex: platforms that name no environment of the lock',
    () => pexExecutor({ ...pexDefaults, platforms: 'macos_x86_64,linux_aarch64', outputPath: 'dist/other.pex' }, context()),
    /macos_x86_64, linux_aarch64.*platforms/,
  ],
  [
    'pex: sources that is a file',
    () => pexExecutor({ ...pexDefaults, sources: '{projectRoot}/requirements.txt' }, context()),
    /the sources option is not a directory, tools\/hello\/requirements.txt: point it at/,
  ],
  [
    'lock: a python that does not exist',
    () => lockExecutor({ ...lockDefaults, python: '/nonexistent/python3' }, context()),
    /'\/nonexistent\/python3' was not found, python: install it, or set python to another/,
  ],
  [
    'lock: malformed interpreterConstraints',
    () => lockExecutor({ ...lockDefaults, interpreterConstraints: ['>>3.9'] }, context()),
    />>3.9/,
  ],
  [
    'lock: interpreterConstraints no Python meets',
    () => lockExecutor({ ...lockDefaults, python: undefined, interpreterConstraints: ['>=4'] }, context()),
    />=4/,
  ],
  [
    'lock: findLinks that does not exist',
    () => lockExecutor({ ...lockDefaults, findLinks: ['/nonexistent/wheels'], noIndex: true }, context()),
    /'\/nonexistent\/wheels' does not exist \(relative to the workspace root\), findLinks: /,
  ],
  [
    'lock: a malformed indexUrl',
    () => lockExecutor({ ...lockDefaults, indexUrl: 'not a url' }, context()),
    /'not a url' is not a URL, indexUrl: use https:/,
  ],
  [
    'lock: lockFile below a file',
    () => lockExecutor({ ...lockDefaults, lockFile: '{projectRoot}/requirements.txt/pylock.toml' }, context()),
    /^pex: cannot write the file \(a parent is a file\), \/.*\/requirements.txt\/pylock.toml: fix that or choose another path$/,
  ],
  [
    'lock: upgrade and upgradePackage together',
    () => lockExecutor({ ...lockDefaults, upgrade: true, upgradePackage: ['hello', 'click'] }, context()),
    /^pex: upgrade and upgradePackage are both set \(upgrade already moves every package\), upgradePackage hello click: keep one of them$/,
  ],
  [
    'venv: a missing archive',
    () => venvExecutor({ ...venvDefaults, archive: 'dist/nope.pex' }, context()),
    /the archive does not exist, \S*dist\/nope.pex: build it first/,
  ],
  [
    'venv: outputPath that is a file',
    () => venvExecutor({ ...venvDefaults, outputPath: '{projectRoot}/requirements.txt' }, context()),
    /exists and is not a venv, \S*requirements.txt: move it away/,
  ],
  [
    'venv: outputPath that is a non-venv directory',
    () => venvExecutor({ ...venvDefaults, outputPath: '{projectRoot}' }, context()),
    /exists and is not a venv, \S*tools\/hello: move it away/,
  ],
  [
    'run: a tool project that does not exist',
    () => runExecutor({ tool: 'nope' }, context('app')),
    /^pex: tool project 'nope' does not exist, the tool option: create it with nx g pex:tool nope$/,
  ],
  [
    'run: a missing archive',
    () => runExecutor({ archive: 'dist/nope.pex' }, context('app')),
    /the archive does not exist, \S*dist\/nope.pex: build it first/,
  ],
  [
    'run: a cwd that does not exist',
    () => runExecutor({ tool: 'hello', cwd: 'nope' }, context('app')),
    /the working directory does not exist, \S*\/nope: create it, or fix the cwd option/,
  ],
  [
    'no project',
    () => pexExecutor(pexDefaults, context('ghost')),
    /^pex: this executor must run as a target of a project, project 'ghost' \(not in the workspace\): use nx run <project>:<target>$/,
  ],
];

describe('executor options: bad input', () => {
  test.each(cases)('%s', async (_what, call, message) => {
    const before = snapshot();
    const result = await call().catch((e) => e);
    expect({ result, errors }).toEqual({ result: { success: false }, errors: [expect.stringMatching(/^pex: /)] });
    expect(errors[0]).toMatch(message);
    expect(errors[0]).not.toContain('\n');
    expect(snapshot()).toEqual(before);
  });
});

test("platforms naming every platform of the lock packs the same archive, byte for byte (nothing of the builder's machine)", async () => {
  const platforms = ['macos_arm64', 'linux_x86_64'];
  expect(await pexExecutor({ ...pexDefaults, platforms, outputPath: 'dist/same.pex' }, context())).toEqual({ success: true });
  expect(readFileSync(path.join(ws, 'dist/same.pex')).equals(readFileSync(path.join(ws, 'dist/tools/hello/hello.pex')))).toBe(true);
  rmSync(path.join(ws, 'dist/same.pex'));
});

test('the workspace these cases share is good: the same executors succeed with the defaults', async () => {
  expect(existsSync(path.join(ws, 'dist/tools/hello/hello.pex'))).toBe(true);
  expect(await venvExecutor(venvDefaults, context())).toEqual({ success: true });
  expect(await runExecutor({ tool: 'hello', args: ['--version'] }, context('app'))).toEqual({ success: true });
});
