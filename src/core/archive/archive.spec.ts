import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ZipFile } from 'yazl';
import { archiveConstraints, ArchiveInput, buildArchive, render } from './archive';
import { CONTRACT, PexError, venvsSubdir } from '../common';
import { sha256File } from '../common';
import { killMidWrite } from '../testing/kill';
import { buildTestWheel, testPython } from '../testing/wheels';
import { makeOffsetsAbsolute } from './zipOffsets';
import { codeHash } from './pexInfo';

let dir: string;
let input: ArchiveInput;

/** One linux_x86_64 environment per CPython 3.8–3.14, each installing every wheel. */
function environmentsOf(wheels: Array<{ filename: string }>, minors = [8, 9, 10, 11, 12, 13, 14]): ArchiveInput['environments'] {
  return minors.map((minor) => ({
    id: `linux_x86_64-cp3${minor}`,
    platform: 'linux_x86_64',
    python: `3.${minor}`,
    wheels: wheels.map((wheel) => [wheel.filename]),
  }));
}

/** A stand-in runtime with the real templates' tokens: runs `python x.pex` and `./x.pex` far enough to prove the layout. */
function fakeRuntime(root: string): string {
  const runtime = path.join(root, 'runtime');
  mkdirSync(path.join(runtime, 'pexnx'), { recursive: true });
  writeFileSync(
    path.join(runtime, 'preamble.sh'),
    '#!/bin/sh\n# @VENVS@ @OVERRIDES@\nfor py in @PYTHONS@; do command -v "$py" >/dev/null 2>&1 && exec "$py" "$0" "$@"; done\nexit 127\n',
  );
  writeFileSync(
    path.join(runtime, '__main__.py'),
    'import sys\n# @OVERRIDES@\nsys.path.insert(0, sys.argv[0] + "/.bootstrap")\n' +
      'import pexnx\nprint("@VENVS@", pexnx.NAME, *sys.argv[1:])\n',
  );
  writeFileSync(path.join(runtime, 'pexnx', '__init__.py'), 'NAME = "pexnx"\n');
  writeFileSync(path.join(runtime, 'pexnx', 'notes.txt'), 'not python: stays out\n');
  return runtime;
}

/** Every central-directory offset (zip64 or not) must point at a local header, counted from the file start. */
function assertAbsoluteOffsets(file: string): number {
  const buf = readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff) {
    const record = Number(buf.readBigUInt64LE(eocd - 20 + 8));
    expect(buf.readUInt32LE(record)).toBe(0x06064b50);
    cdOffset = Number(buf.readBigUInt64LE(record + 48));
  }
  let count = 0;
  for (let p = cdOffset; buf.readUInt32LE(p) === 0x02014b50; count++) {
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    let local = buf.readUInt32LE(p + 42);
    for (let e = p + 46 + nameLength; local === 0xffffffff && e < p + 46 + nameLength + extraLength; e += 4 + buf.readUInt16LE(e + 2)) {
      // yazl's zip64 extra holds both sizes, then the offset.
      if (buf.readUInt16LE(e) === 0x0001) local = Number(buf.readBigUInt64LE(e + 4 + 16));
    }
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    p += 46 + nameLength + extraLength + buf.readUInt16LE(p + 32);
  }
  return count;
}

const ZIP_REPORT = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({
    "bad": z.testzip(),
    "entries": [[i.filename, i.compress_type, list(i.date_time), i.external_attr >> 16] for i in z.infolist()],
}))
`;

function zipReport(file: string): { bad: string | null; entries: Array<[string, number, number[], number]> } {
  return JSON.parse(execFileSync(testPython, ['-c', ZIP_REPORT, file], { encoding: 'utf8' }));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pex-archive-spec-'));
  const wheels = path.join(dir, 'wheels');
  const alpha = await buildTestWheel(wheels, { name: 'alpha', version: '1.0' });
  const beta = await buildTestWheel(wheels, { name: 'beta', version: '2.0' });
  const sources = path.join(dir, 'src');
  mkdirSync(path.join(sources, 'tool', '__pycache__'), { recursive: true });
  writeFileSync(path.join(sources, 'tool', '__init__.py'), '');
  writeFileSync(path.join(sources, 'tool', 'cli.py'), 'def main(): pass\n');
  writeFileSync(path.join(sources, 'tool', '__pycache__', 'cli.cpython-311.pyc'), 'junk');
  input = {
    out: path.join(dir, 'dist', 'tool.pex'),
    wheels: await Promise.all([beta, alpha].map(async (p) => ({ filename: path.basename(p), path: p, sha256: await sha256File(p) }))),
    environments: [],
    requirements: ['alpha', 'beta'],
    entryPoint: 'tool.cli:main',
    interpreterConstraints: ['>=3.8'],
    sourcesDir: sources,
    buildProperties: { pex_nx_version: '0.1.0' },
    runtimeDir: fakeRuntime(dir),
  };
  input.environments = environmentsOf(input.wheels);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildArchive', () => {
  it('writes preamble + zip with sorted entries, fixed times and modes, stored wheels', async () => {
    const built = await buildArchive(input);
    expect(built.path).toBe(input.out);
    expect(built.size).toBe(statSync(input.out).size);
    expect(statSync(input.out).mode & 0o777).toBe(0o755);

    const bytes = readFileSync(input.out);
    const preamble = bytes.subarray(0, bytes.indexOf('PK\x03\x04', 0, 'latin1')).toString('utf8');
    expect(preamble.startsWith(`#!/bin/sh\n# ${venvsSubdir(built.pexHash)} \${PEX_TOOLS-}`)).toBe(true);
    // The constraints (>=3.8) narrowed to the minors the environments cover (3.8–3.14).
    expect(preamble).toContain('\nfor py in python3 python3.14 python3.13 ');
    expect(preamble).toContain(' python3.8 python; do');

    const report = zipReport(input.out);
    expect(report.bad).toBeNull();
    const names = report.entries.map(([name]) => name);
    expect(names).toEqual([
      '.bootstrap/pexnx/__init__.py',
      '.deps/alpha-1.0-py3-none-any.whl',
      '.deps/beta-2.0-py3-none-any.whl',
      'PEX-INFO',
      '__main__.py',
      'tool/__init__.py',
      'tool/cli.py',
    ]);
    for (const [name, method, date, mode] of report.entries) {
      expect([name, date, mode]).toEqual([name, [1980, 1, 1, 0, 0, 0], 0o100644]);
      expect([name, method]).toEqual([name, name.startsWith('.deps/') ? 0 : 8]);
    }
    expect(assertAbsoluteOffsets(input.out)).toBe(names.length);

    const info = JSON.parse(
      execFileSync(
        testPython,
        ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("PEX-INFO").decode())', input.out],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(info.pex_hash).toBe(built.pexHash);
    expect(info.entry_point).toBe('tool.cli:main');
    expect(Object.keys(info.distributions)).toEqual(['alpha-1.0-py3-none-any.whl', 'beta-2.0-py3-none-any.whl']);
    // pex keys its bootstrap cache by it: the hash of exactly the .bootstrap/ entries.
    const bootstrap = readFileSync(path.join(input.runtimeDir!, 'pexnx', '__init__.py'));
    expect(info.bootstrap_hash).toBe(codeHash([{ path: '.bootstrap/pexnx/__init__.py', data: bootstrap }]));
  });

  it('changes bootstrap_hash, and so pex_hash, with the runtime it ships', async () => {
    const before = await buildArchive(input);
    const runtimeDir = fakeRuntime(path.join(dir, 'changed'));
    writeFileSync(path.join(runtimeDir, 'pexnx', '__init__.py'), 'NAME = "pexnx, changed"\n');
    expect((await buildArchive({ ...input, runtimeDir })).pexHash).not.toBe(before.pexHash);
  });

  it('keeps wheels byte-identical', async () => {
    await buildArchive(input);
    const extracted = execFileSync(testPython, [
      '-c',
      'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(".deps/" + sys.argv[2]))',
      input.out,
      input.wheels[1].filename,
    ]);
    expect(extracted.equals(readFileSync(input.wheels[1].path))).toBe(true);
  });

  it('stores each bytecode zip byte-identical under .deps/.bytecode/<cache tag>/ and lists its sha256 in PEX-INFO', async () => {
    const zip = path.join(dir, 'alpha.cpython-311.zip');
    writeFileSync(zip, randomBytes(300));
    const bytecode = [{ cacheTag: 'cpython-311', wheel: input.wheels[1].filename, path: zip, sha256: await sha256File(zip) }];
    const out = path.join(dir, 'bytecode', 'x.pex');
    const built = await buildArchive({ ...input, out, bytecode });
    const entry = `.deps/.bytecode/cpython-311/${input.wheels[1].filename}`;
    const stored = zipReport(out).entries.find(([name]) => name === entry);
    expect(stored?.[1]).toBe(0); // STORED: the runtime reads it in place
    const read = (name: string) =>
      execFileSync(testPython, [
        '-c',
        'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
        out,
        name,
      ]);
    expect(read(entry).equals(readFileSync(zip))).toBe(true);
    expect(JSON.parse(read('PEX-INFO').toString()).pex_nx.bytecode).toEqual({
      'cpython-311': { [input.wheels[1].filename]: bytecode[0].sha256 },
    });
    expect(built.pexHash).not.toBe((await buildArchive(input)).pexHash);

    const twice = await buildArchive({ ...input, out, bytecode: [...bytecode, ...bytecode] }).catch((e: unknown) => e);
    expect(String(twice)).toMatch(/bytecode of alpha-1\.0-py3-none-any\.whl for cpython-311 is given twice/);
    const tampered = await buildArchive({
      ...input,
      out: path.join(dir, 'bytecode', 'y.pex'),
      bytecode: [{ ...bytecode[0], sha256: 'b'.repeat(64) }],
    }).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(PexError);
    expect(existsSync(path.join(dir, 'bytecode', 'y.pex'))).toBe(false);
  });

  it("puts the runtime's compiled modules beside their sources, inside bootstrap_hash, and refuses any other name", async () => {
    const pyc = path.join(dir, 'runtime-pyc', '__init__.pyc');
    mkdirSync(path.dirname(pyc), { recursive: true });
    writeFileSync(pyc, randomBytes(64));
    const out = path.join(dir, 'runtime-bytecode', 'x.pex');
    const runtimeBytecode = { cacheTag: 'cpython-311', files: [{ name: '__init__.pyc', path: pyc }] };
    const built = await buildArchive({ ...input, out, runtimeBytecode });
    const entry = zipReport(out).entries.find(([name]) => name === '.bootstrap/pexnx/__init__.pyc');
    expect(entry).toBeDefined();
    const plain = await buildArchive({ ...input, out: path.join(dir, 'runtime-bytecode', 'plain.pex') });
    const bootstrapHash = (file: string) =>
      JSON.parse(
        execFileSync(testPython, ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("PEX-INFO").decode())', file], {
          encoding: 'utf8',
        }),
      ).bootstrap_hash;
    expect(bootstrapHash(out)).not.toBe(bootstrapHash(plain.path));
    expect(built.pexHash).not.toBe(plain.pexHash);
    const stray = { cacheTag: 'cpython-311', files: [{ name: 'notes.pyc', path: pyc }] };
    await expect(buildArchive({ ...input, out: path.join(dir, 'runtime-bytecode', 'y.pex'), runtimeBytecode: stray })).rejects.toThrow(
      /is no module of the archive runtime/,
    );
  });

  it('gives the same bytes for the same inputs', async () => {
    const first = await buildArchive({ ...input, out: path.join(dir, 'a', 'x.pex') });
    const second = await buildArchive({ ...input, out: path.join(dir, 'b', 'x.pex') });
    expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);
    expect(second.pexHash).toBe(first.pexHash);
  });

  it('runs as `python x.pex` and as `./x.pex`', async () => {
    // No constraints: the preamble tries python3 first, whatever python3.X names (or shims) PATH holds.
    const { path: out, pexHash } = await buildArchive({ ...input, interpreterConstraints: [], out: path.join(dir, 'run', 'x.pex') });
    expect(execFileSync(testPython, [out, 'a b'], { encoding: 'utf8' })).toBe(`${venvsSubdir(pexHash)} pexnx a b\n`);
    expect(execFileSync(out, ['c'], { encoding: 'utf8' })).toBe(`${venvsSubdir(pexHash)} pexnx c\n`);
  });

  const unzip = spawnSync('unzip', ['-v']).status === 0;
  (unzip ? it : it.skip)('passes `unzip -t` without an extra-bytes warning', async () => {
    const { path: out } = await buildArchive(input);
    const result = spawnSync('unzip', ['-t', out], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).not.toMatch(/extra bytes|warning/i);
    expect(result.stdout).toContain('No errors detected');
    expect(result.status).toBe(0);
  });

  it('refuses a wheel whose bytes are not the locked ones, leaving nothing behind', async () => {
    const out = path.join(dir, 'tampered', 'x.pex');
    const tampered = path.join(dir, 'tampered-alpha-1.0-py3-none-any.whl');
    writeFileSync(tampered, Buffer.concat([readFileSync(input.wheels[1].path), Buffer.from('x')]));
    const wheels = [input.wheels[0], { ...input.wheels[1], path: tampered }];
    const error = await buildArchive({ ...input, out, wheels }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect((error as Error).message).toContain(tampered);
    expect((error as Error).message).toContain(input.wheels[1].sha256);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });

  it('keeps an existing archive when a rebuild fails', async () => {
    const out = path.join(dir, 'keep', 'x.pex');
    await buildArchive({ ...input, out });
    const before = readFileSync(out);
    const wheels = [{ ...input.wheels[0], sha256: '0'.repeat(64) }, input.wheels[1]];
    await expect(buildArchive({ ...input, out, wheels, requirements: ['changed'] })).rejects.toThrow(PexError);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(out))).toEqual(['x.pex']);
  });

  it('refuses user sources that would replace archive entries', async () => {
    const sources = path.join(dir, 'clashing');
    mkdirSync(sources, { recursive: true });
    writeFileSync(path.join(sources, '__main__.py'), '');
    await expect(buildArchive({ ...input, sourcesDir: sources })).rejects.toThrow(/would replace the archive's own __main__\.py/);
  });

  it('refuses an output path that is a directory, leaving it alone', async () => {
    const out = path.join(dir, 'out-dir');
    mkdirSync(path.join(out, 'keep'), { recursive: true });
    await expect(buildArchive({ ...input, out })).rejects.toThrow(
      `${out} is a directory, not an archive path, outputPath: set it to a file`,
    );
    expect(readdirSync(out)).toEqual(['keep']);
  });

  it('refuses entry point and script together', async () => {
    await expect(buildArchive({ ...input, script: 'alpha' })).rejects.toThrow(PexError);
  });

  const runtimeDir = path.join(__dirname, '../../runtime');
  (existsSync(path.join(runtimeDir, 'preamble.sh')) ? it : it.skip)('renders the shipped runtime by default', async () => {
    const { path: out, pexHash } = await buildArchive({ ...input, runtimeDir: undefined, out: path.join(dir, 'real', 'x.pex') });
    // The whole of both templates, as Python reads them.
    const bytes = readFileSync(out);
    const preamble = bytes.subarray(0, bytes.indexOf('PK\x03\x04', 0, 'latin1')).toString('utf8');
    const main = execFileSync(
      testPython,
      ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("__main__.py").decode())', out],
      {
        encoding: 'utf8',
      },
    );
    for (const text of [preamble, main]) {
      expect(text).not.toMatch(/@[A-Z][A-Z0-9_]*@/);
      expect(text).toContain(`${venvsSubdir(pexHash)}`);
    }
    expect(preamble).toContain(`case "${CONTRACT.overrides.map((name) => `\${${name}-}`).join('')}" in`);
    expect(main).toContain(`OVERRIDES = "${CONTRACT.overrides.join(' ')}".split()`);
  });

  it('fails, writing nothing, when a template has a token it does not know or lacks one it needs', async () => {
    const runtime = fakeRuntime(path.join(dir, 'broken-runtime'));
    const main = readFileSync(path.join(runtime, '__main__.py'), 'utf8');
    const out = path.join(dir, 'broken', 'x.pex');
    writeFileSync(path.join(runtime, '__main__.py'), main.replace('@VENVS@', 'nx1'));
    await expect(buildArchive({ ...input, runtimeDir: runtime, out })).rejects.toThrow(
      "the archive runtime's __main__.py does not fit this builder (no @VENVS@), the pex plugin's runtime: reinstall the pex plugin",
    );
    writeFileSync(path.join(runtime, '__main__.py'), `${main}# @PEX_ROOT@\n`);
    await expect(buildArchive({ ...input, runtimeDir: runtime, out })).rejects.toThrow('(unknown token @PEX_ROOT@)');
    expect(existsSync(path.dirname(out)) ? readdirSync(path.dirname(out)) : []).toEqual([]);
  });
});

describe('archiveConstraints', () => {
  const minors = (...list: number[]) => environmentsOf([], list);
  it('narrows the constraints to the covered minors, in the normal form pex writes them in', () => {
    expect(archiveConstraints([], minors(11, 12, 13, 14))).toEqual(['CPython<3.15,>=3.11']);
    expect(archiveConstraints([], minors(9, 11, 12))).toEqual(['CPython==3.9.*', 'CPython<3.13,>=3.11']);
    expect(archiveConstraints(['>=3.9,<3.14'], minors(9, 10, 11, 12, 13))).toEqual(['<3.14,>=3.9']);
    expect(archiveConstraints(['>=3.9,<3.14'], minors(11))).toEqual(['<3.14,==3.11.*,>=3.9']);
    expect(archiveConstraints(['==3.8.*', 'CPython>=3.12'], minors(8, 12, 13))).toEqual(['==3.8.*', 'CPython<3.14,>=3.12']);
    // Constraints that allow none of them stay: the archive runs nowhere, and says so.
    expect(archiveConstraints(['>=3.99'], minors(11))).toEqual(['>=3.99']);
  });
});

describe('render', () => {
  it('replaces every token, however far into the file', () => {
    const far = `${'x'.repeat(100_000)}@B@`;
    expect(render(`@A@ ${far} @A@`, { A: '1', B: '2' }, 't')).toBe(`1 ${'x'.repeat(100_000)}2 1`);
  });

  it('names every unknown and every missing token', () => {
    expect(() => render('@A@ @C@ @D@', { A: '1', B: '2' }, 'preamble.sh')).toThrow(
      "the archive runtime's preamble.sh does not fit this builder (unknown token @C@, unknown token @D@, no @B@)",
    );
    expect(() => render('', { A: '1' }, 't')).toThrow(PexError);
  });

  it('leaves what is no token alone, and does not render values again', () => {
    expect(render('exec "$@" a@b.c @lower@ @A@', { A: '@A@' }, 't')).toBe('exec "$@" a@b.c @lower@ @A@');
  });
});

/**
 * A zip named like a wheel holding `member` (a symlink to /etc/passwd when `link`). yazl refuses
 * unsafe names, so the entry is written under a same-length placeholder that is then patched
 * in place (names are not covered by the CRC).
 */
async function wheelWith(file: string, member: string, link = false, data: Buffer = Buffer.from('x')): Promise<string> {
  const placeholder = member.replace(/[^/]/g, 'q').replace(/\//g, 'Q');
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from(''), 'evil/__init__.py', { mtime: new Date(1980, 0, 1) });
  zip.addBuffer(link ? Buffer.from('/etc/passwd') : data, placeholder, {
    mtime: new Date(1980, 0, 1),
    mode: link ? 0o120777 : 0o100644,
    compress: false,
  });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const name = Buffer.from(member);
  for (let at = bytes.indexOf(placeholder); at >= 0; at = bytes.indexOf(placeholder, at + 1)) name.copy(bytes, at);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

describe('buildArchive with hostile input', () => {
  it.each([
    ['a ../ entry', '../evil.py', false],
    ['an absolute entry', '/tmp/evil.py', false],
    ['a nested .. entry', 'evil/../../evil.py', false],
    ['a symlink entry', 'evil/passwd', true],
  ])('refuses a wheel with %s, writing nothing', async (_, member, link) => {
    const wheel = await wheelWith(
      path.join(dir, 'hostile', `${link ? 'l' : 'p'}${member.length}`, 'evil-1.0-py3-none-any.whl'),
      member,
      link,
    );
    const out = path.join(dir, 'hostile-out', 'x.pex');
    const wheels = [{ filename: 'evil-1.0-py3-none-any.whl', path: wheel, sha256: await sha256File(wheel) }];
    const error = await buildArchive({ ...input, out, wheels, environments: environmentsOf(wheels) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PexError);
    expect(error).toMatchObject({
      what: `the wheel has the unsafe entry '${member}' (absolute, '..', a backslash or a symlink)`,
      where: 'evil-1.0-py3-none-any.whl',
      fix: 'use a wheel without it (nothing was written)',
    });
    expect(existsSync(path.dirname(out))).toBe(false);
  });

  it('refuses a symlink in the sources that leads outside them, and follows one that stays inside', async () => {
    const sources = path.join(dir, 'linked-src');
    mkdirSync(path.join(sources, 'pkg'), { recursive: true });
    writeFileSync(path.join(sources, 'pkg', 'real.py'), 'X = 1\n');
    symlinkSync('real.py', path.join(sources, 'pkg', 'alias.py'));
    const out = path.join(dir, 'linked-out', 'x.pex');
    await buildArchive({ ...input, out, sourcesDir: sources });
    expect(zipReport(out).entries.map(([name]) => name)).toEqual(expect.arrayContaining(['pkg/alias.py', 'pkg/real.py']));

    const secret = path.join(dir, 'secret.txt');
    writeFileSync(secret, 'token');
    symlinkSync(secret, path.join(sources, 'pkg', 'leak.txt'));
    rmSync(out);
    await expect(buildArchive({ ...input, out, sourcesDir: sources })).rejects.toThrow(
      `${path.join(sources, 'pkg', 'leak.txt')} is a symlink to ${secret}, outside ${sources}, the tool sources: ` +
        `copy the file into ${sources} or remove the link`,
    );
    rmSync(path.join(sources, 'pkg', 'leak.txt'));
    symlinkSync('..', path.join(sources, 'pkg', 'loop'));
    await expect(buildArchive({ ...input, out, sourcesDir: sources })).rejects.toThrow(
      /loop links to a directory that is already included, the tool sources: remove the link/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a build killed mid-write leaves the previous archive, never a partial one, at its name', async () => {
    const big = await wheelWith(path.join(dir, 'big', 'big-1.0-py3-none-any.whl'), 'big/data.bin', false, randomBytes(16 << 20));
    const out = path.join(dir, 'killed', 'x.pex');
    await buildArchive({ ...input, out });
    const before = readFileSync(out);
    const wheels = [{ filename: 'big-1.0-py3-none-any.whl', path: big, sha256: await sha256File(big) }];
    const killed = await killMidWrite(
      path.join(__dirname, 'archive.ts'),
      'buildArchive',
      [{ ...input, out, wheels, environments: environmentsOf(wheels) }],
      path.dirname(out),
      1 << 20,
    );
    expect(killed).toBe(true);
    expect(readFileSync(out).equals(before)).toBe(true);
    rmSync(out);
    const again = await killMidWrite(
      path.join(__dirname, 'archive.ts'),
      'buildArchive',
      [{ ...input, out, wheels, environments: environmentsOf(wheels) }],
      path.dirname(out),
      1 << 20,
    );
    expect(again).toBe(true);
    expect(existsSync(out)).toBe(false);
    await buildArchive({ ...input, out, wheels, environments: environmentsOf(wheels) });
    expect(zipReport(out).bad).toBeNull();
  }, 60_000);
});

describe('makeOffsetsAbsolute', () => {
  it('rewrites zip64 records and extras too', async () => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from('hello'), 'a.txt', { forceZip64Format: true, mtime: new Date(1980, 0, 1) });
    zip.addBuffer(Buffer.from('world'), 'b.txt', { forceZip64Format: true, mtime: new Date(1980, 0, 1) });
    zip.end({ forceZip64Format: true, comment: '' });
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const file = path.join(dir, 'zip64.zip');
    const prefix = Buffer.from('#!/bin/sh\nexit 0\n');
    writeFileSync(file, Buffer.concat([prefix, ...chunks]));
    makeOffsetsAbsolute(file, prefix.length);
    expect(assertAbsoluteOffsets(file)).toBe(2);
    expect(zipReport(file).bad).toBeNull();
  });
});
