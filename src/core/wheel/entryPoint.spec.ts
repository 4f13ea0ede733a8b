import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PexError } from '../common';
import { buildTestWheel } from '../testing/wheels';
import { assertEntryPointModule } from './entryPoint';

let dir: string;
let wheels: Array<{ filename: string; path: string; sha256: string }>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-entry-spec-'));
  const tool = await buildTestWheel(dir, {
    name: 'hellotool',
    version: '1.0',
    files: {
      'hellotool/cli/main.py': '',
      'ns_pkg/part/mod.py': '',
      'fast.cpython-311-x86_64-linux-gnu.so': '',
      'hellotool-1.0.data/purelib/extra_mod.py': '',
    },
  });
  wheels = [{ filename: path.basename(tool), path: tool, sha256: '0'.repeat(64) }];
  mkdirSync(path.join(dir, 'src', 'mytool'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'mytool', '__init__.py'), '');
  writeFileSync(path.join(dir, 'src', 'script.py'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each(['hellotool', 'hellotool:main', 'hellotool.cli.main:run', 'ns_pkg.part.mod', 'fast:main', 'extra_mod', 'mytool:main', 'script'])(
  'accepts %s (a module or package of the wheels or the sources)',
  (entry) => {
    expect(() => assertEntryPointModule(entry, wheels, path.join(dir, 'src'), 'tools/x/pex.lock.json')).not.toThrow();
  },
);

test('refuses a module nobody provides, in one line naming the modules there are', () => {
  let error: unknown;
  try {
    assertEntryPointModule('nosuchmod:main', wheels, path.join(dir, 'src'), 'tools/x/pex.lock.json');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PexError);
  expect((error as Error).message).toBe(
    "entry point 'nosuchmod:main' names module 'nosuchmod' that neither the locked wheels nor the tool's sources provide " +
      '(top-level modules: extra_mod, fast, hellotool, mytool, ns_pkg, script), tools/x/pex.lock.json: fix the entry ' +
      'point, or add the distribution that provides it to requirements.txt',
  );
});

test('a dist-info directory is no module', () => {
  expect(() => assertEntryPointModule('hellotool-1.0.dist-info', wheels, undefined, 'x')).toThrow(PexError);
});
