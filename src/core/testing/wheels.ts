import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ZipFile } from 'yazl';

/** Test support: tiny, valid, deterministic wheels, so specs never need an index. */
export interface TestWheel {
  name: string;
  version: string;
  requires?: string[];
  consoleScripts?: Record<string, string>;
  /** Python tag-abi-platform, default py3-none-any. */
  tag?: string;
  /** Extra module files, path → content. */
  files?: Record<string, string>;
  /** Leave out the `<name>/__init__.py` every wheel has otherwise: only `files` and the metadata. */
  noPackage?: boolean;
}

function recordHash(data: Buffer): string {
  return 'sha256=' + createHash('sha256').update(data).digest('base64url');
}

export async function buildTestWheel(dir: string, wheel: TestWheel): Promise<string> {
  const dist = wheel.name.replace(/[-.]+/g, '_');
  const tag = wheel.tag ?? 'py3-none-any';
  const info = `${dist}-${wheel.version}.dist-info`;
  const files: Record<string, string> = {
    ...(wheel.noPackage ? {} : { [`${dist}/__init__.py`]: `def main():\n    print("${wheel.name} ${wheel.version}")\n` }),
    ...wheel.files,
    [`${info}/METADATA`]: [
      'Metadata-Version: 2.1',
      `Name: ${wheel.name}`,
      `Version: ${wheel.version}`,
      ...(wheel.requires ?? []).map((r) => `Requires-Dist: ${r}`),
      '',
    ].join('\n'),
    [`${info}/WHEEL`]: `Wheel-Version: 1.0\nGenerator: pex-nx-tests\nRoot-Is-Purelib: true\nTag: ${tag}\n`,
  };
  if (wheel.consoleScripts) {
    files[`${info}/entry_points.txt`] =
      '[console_scripts]\n' +
      Object.entries(wheel.consoleScripts)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join('');
  }
  const record = Object.entries(files).map(([p, c]) => {
    const data = Buffer.from(c);
    return `${p},${recordHash(data)},${data.length}\n`;
  });
  files[`${info}/RECORD`] = record.join('') + `${info}/RECORD,,\n`;

  const zip = new ZipFile();
  for (const [p, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.from(content), p, { mtime: new Date(1980, 0, 1), mode: 0o100644, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${dist}-${wheel.version}-${tag}.whl`);
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** The specs' Python: $PEX_TEST_PYTHON, else python3. */
export const testPython = process.env.PEX_TEST_PYTHON ?? 'python3';

/** pip isolated from the machine's pip.conf and PIP_* variables, so specs see only their own wheels. */
export function isolatedPipEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_')));
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_NO_INPUT: '1', ...extra };
}

/**
 * Test support: a pure tool (`pexnx-app`, console script `pexnx-app`) with a native dependency (a
 * cp310-only Linux wheel, abi3 wheels for Linux and macOS arm64) and two markers (`python_version <
 * "3.11"`, `sys_platform == "darwin"`): a closure whose wheels differ per environment.
 */
export async function buildEnvironmentWheels(dir: string): Promise<void> {
  await buildTestWheel(dir, {
    name: 'pexnx-app',
    version: '1.0',
    requires: ['pexnx-native', 'pexnx-tomlish; python_version < "3.11"', 'pexnx-macos; sys_platform == "darwin"'],
    consoleScripts: { 'pexnx-app': 'pexnx_app:main' },
  });
  for (const tag of [
    'cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64',
    'cp310-abi3-manylinux2014_x86_64',
    'cp310-abi3-macosx_11_0_arm64',
  ]) {
    await buildTestWheel(dir, { name: 'pexnx-native', version: '1.0', tag });
  }
  await buildTestWheel(dir, { name: 'pexnx-tomlish', version: '1.0' });
  await buildTestWheel(dir, { name: 'pexnx-macos', version: '1.0' });
}
