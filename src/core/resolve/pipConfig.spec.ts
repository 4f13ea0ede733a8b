import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lockedFiles } from '../lock';
import { inspectInterpreter, Interpreter } from '../python';
import { parseRequirements } from '../requirements';
import { resolve } from './resolve';
import { buildTestWheel, isolatedPipEnv, testPython } from '../testing/wheels';

const { startIndex } = require('../../../scripts/lib/index-server');

// pip's own configuration is how users point pip at their indexes; lock must honour all of it.
jest.setTimeout(60_000);

let dir: string;
let interpreter: Interpreter;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-pipconfig-spec-'));
  await buildTestWheel(path.join(dir, 'all'), { name: 'pexnx-alpha', version: '1.0', requires: ['pexnx-beta'] });
  await buildTestWheel(path.join(dir, 'all'), { name: 'pexnx-beta', version: '1.0' });
  await buildTestWheel(path.join(dir, 'alpha-only'), { name: 'pexnx-alpha', version: '1.0', requires: ['pexnx-beta'] });
  await buildTestWheel(path.join(dir, 'beta-only'), { name: 'pexnx-beta', version: '1.0' });
  interpreter = await inspectInterpreter(
    execFileSync(testPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lock = (env: NodeJS.ProcessEnv) =>
  resolve({
    interpreter,
    requirements: parseRequirements('pexnx-alpha\n', 'requirements.txt'),
    // The interpreter's own environment and a foreign one: pip's configuration applies to both.
    platforms: ['linux_x86_64', 'macos_arm64'],
    interpreterConstraints: [`==${interpreter.version.slice(0, 2).join('.')}.*`],
    workspaceRoot: dir,
    cwd: dir,
    env,
  });
const pinned = (l: Awaited<ReturnType<typeof lock>>) => {
  expect(l.environments.every((e) => e.covered)).toBe(true);
  return l.packages.map((p) => `${p.name}==${p.version}`);
};

describe("pip's configuration", () => {
  it('a pip.conf (PIP_CONFIG_FILE) with find-links and no-index', async () => {
    const conf = path.join(dir, 'pip.conf');
    writeFileSync(conf, `[global]\nno-index = true\nfind-links = ${path.join(dir, 'all')}\n`);
    const l = await lock({ ...isolatedPipEnv(), PIP_CONFIG_FILE: conf });
    expect(pinned(l)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);
  });

  it('PIP_FIND_LINKS and PIP_NO_INDEX', async () => {
    const l = await lock(isolatedPipEnv({ PIP_FIND_LINKS: path.join(dir, 'all'), PIP_NO_INDEX: '1' }));
    expect(pinned(l)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);
  });

  it('PIP_INDEX_URL and PIP_EXTRA_INDEX_URL, each serving part of the wheels', async () => {
    const main = await startIndex(path.join(dir, 'beta-only'));
    const extra = await startIndex(path.join(dir, 'alpha-only'));
    try {
      const l = await lock(isolatedPipEnv({ PIP_INDEX_URL: main.url, PIP_EXTRA_INDEX_URL: extra.url }));
      expect(pinned(l)).toEqual(['pexnx-alpha==1.0', 'pexnx-beta==1.0']);
      expect(lockedFiles(l).map((a) => new URL(a.url!).origin)).toEqual([new URL(extra.url).origin, new URL(main.url).origin]);
    } finally {
      await main.close();
      await extra.close();
    }
  });
});
