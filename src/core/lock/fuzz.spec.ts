import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { PexError } from '../common';
import { environmentId, markerValues, PLATFORMS } from '../python';
import { evaluateMarker, packageMarker } from './markers';
import { formatLockfile, LockedArtifact, Lockfile, orderFiles, readLockfile, sortPackages } from './lockfile';
import { parseRequirement, parseRequirements, requirementsHash } from '../requirements';
import { buildTestWheel } from '../testing/wheels';
import { readWheelScripts } from '../wheel';
import { parseWheelName } from '../wheel';

/** mulberry32: a small seeded PRNG, so every run feeds the same cases and a failure replays. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

/** Runs `parse` on each input: it may return, or throw a one-line PexError, nothing else. */
function expectOnlyPexErrors<T>(inputs: T[], parse: (input: T) => unknown): { ok: number; refused: number } {
  let ok = 0;
  let refused = 0;
  for (const input of inputs) {
    try {
      parse(input);
      ok++;
    } catch (err) {
      if (!(err instanceof PexError)) throw new Error(`${JSON.stringify(input).slice(0, 300)} threw ${String(err)}`, { cause: err });
      expect(err.message).not.toMatch(/\n/);
      refused++;
    }
  }
  return { ok, refused };
}

/** A variant of `text`: characters replaced, inserted, dropped, or the text cut short. */
function mutateText(rng: Rng, text: string, alphabet: string): string {
  let out = text;
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const at = rng.int(out.length + 1);
    const ch = alphabet[rng.int(alphabet.length)];
    const op = rng.int(4);
    if (op === 0) out = out.slice(0, at) + ch + out.slice(at + 1);
    else if (op === 1) out = out.slice(0, at) + ch + out.slice(at);
    else if (op === 2) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at);
  }
  return out;
}

const ODD_VALUES: unknown[] = [null, 0, -1, 1.5, true, '', 'x'.repeat(300), '../..', [], [1], {}, { a: 1 }, 'a b', '\u0000'];

/** Valid JSON with odd values in random places (or the whole thing replaced). */
function mutateJson(rng: Rng, value: unknown, depth = 0): unknown {
  if (rng.next() < 0.15) return rng.pick(ODD_VALUES);
  if (Array.isArray(value)) {
    const copy = value.map((v) => (rng.next() < 0.5 ? mutateJson(rng, v, depth + 1) : v));
    if (rng.next() < 0.2) copy.push(rng.pick(ODD_VALUES));
    return copy;
  }
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = rng.pick(keys);
    if (rng.next() < 0.2) delete copy[key];
    else copy[key] = mutateJson(rng, copy[key], depth + 1);
    return copy;
  }
  return depth > 0 && rng.next() < 0.5 ? rng.pick(ODD_VALUES) : value;
}

describe('fuzzed input gives a PexError, never another exception', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pex-fuzz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('wheel names', () => {
    const rng = prng(1);
    const seeds = [
      'black-23.1.0-py3-none-any.whl',
      'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'a-1-1b-py2.py3-none-any.whl',
    ];
    const inputs = Array.from({ length: 1500 }, () => mutateText(rng, rng.pick(seeds), '-_.!+a1 /\\\u00e9.whl'));
    const { ok, refused } = expectOnlyPexErrors(inputs, parseWheelName);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  test('requirement lines and requirements files', () => {
    const rng = prng(2);
    const seeds = [
      'black==23.1.0',
      'requests[socks, security]>=2.28,<3 ; python_version >= "3.8" and sys_platform != "win32"',
      'pkg @ https://user:pw@example.com/pkg-1.0-py3-none-any.whl ; os_name == "posix"',
      'foo~=1.4.2',
      'bar!=1.*',
    ];
    const alphabet = '=<>!~;,()[]@"\' .*-_#\\\nabcxyz019';
    const lines = Array.from({ length: 1500 }, () => mutateText(rng, rng.pick(seeds), alphabet));
    const { ok, refused } = expectOnlyPexErrors(lines, parseRequirement);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const files = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + rng.int(4) }, () =>
        mutateText(rng, rng.pick([...seeds, '--index-url https://x/simple', '-r other.txt', '--no-index']), alphabet),
      ).join('\n'),
    );
    expectOnlyPexErrors(files, (text) => parseRequirements(text, 'requirements.txt'));
  });

  const fuzzRequirements = { requirements: ['hellotool==1.0.0'], pipOptions: ['--index-url https://example.com/simple'] };
  const fuzzLock: Lockfile = {
    ...fuzzRequirements,
    requirementsHash: requirementsHash(fuzzRequirements),
    interpreterConstraints: ['>=3.8,<3.14'],
    environments: [
      { platform: 'linux_x86_64', python: '3.10', covered: true },
      { platform: 'linux_x86_64', python: '3.11', covered: true },
      { platform: 'macos_arm64', python: '3.10', covered: true },
      { platform: 'macos_arm64', python: '3.11', covered: false },
    ],
    packages: [],
  };
  const fuzzArtifacts: LockedArtifact[] = [
    {
      name: 'hellotool',
      version: '1.0.0',
      filename: 'hellotool-1.0.0-py3-none-any.whl',
      url: 'https://example.com/h.whl',
      sha256: 'a'.repeat(64),
    },
    {
      name: 'greetlib',
      version: '1.2.0',
      filename: 'greetlib-1.2.0-py3-none-any.whl',
      path: 'wheels/g.whl',
      size: 1234,
      sha256: 'b'.repeat(64),
    },
    { name: 'gamma', version: '0.1', filename: 'gamma-0.1.tar.gz', url: 'https://example.com/gamma-0.1.tar.gz', sha256: 'c'.repeat(64) },
  ];
  const ALL = ['linux_x86_64-cp310', 'linux_x86_64-cp311', 'macos_arm64-cp310'];
  fuzzLock.packages = [
    { name: 'hellotool', version: '1.0.0', environments: ALL, files: [fuzzArtifacts[0]] },
    {
      name: 'greetlib',
      version: '1.2.0',
      environments: ['linux_x86_64-cp310', 'macos_arm64-cp310'],
      files: [
        fuzzArtifacts[1],
        { ...fuzzArtifacts[1], filename: 'greetlib-1.2.0-cp310-cp310-macosx_11_0_arm64.whl', path: 'wheels/m.whl', sha256: 'd'.repeat(64) },
      ],
    },
    {
      name: 'greetlib',
      version: '1.3.0',
      environments: ['linux_x86_64-cp311'],
      files: [{ ...fuzzArtifacts[1], version: '1.3.0', filename: 'greetlib-1.3.0-py3-none-any.whl' }],
    },
    { name: 'gamma', version: '0.1', environments: ['linux_x86_64-cp311'], files: [fuzzArtifacts[2]] },
  ];
  // A lock of one environment, as the JSON lock held.
  const singleLock: Lockfile = {
    ...fuzzLock,
    environments: [{ platform: 'linux_x86_64', python: '3.11', covered: true }],
    packages: fuzzArtifacts.map((a) => ({ name: a.name, version: a.version, environments: ['linux_x86_64-cp311'], files: [a] })),
  };

  test('JSON lock files of earlier versions', () => {
    const rng = prng(3);
    const greetlib: Partial<LockedArtifact> = { ...fuzzArtifacts[1] };
    delete greetlib.size;
    const legacy = {
      lockVersion: 2,
      ...fuzzRequirements,
      requirementsHash: singleLock.requirementsHash,
      interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' },
      interpreterConstraints: singleLock.interpreterConstraints,
    };
    const text = JSON.stringify(
      { ...legacy, artifacts: [fuzzArtifacts[0], greetlib, { ...fuzzArtifacts[2], url: 'file:wheels/gamma-0.1.tar.gz' }] },
      null,
      2,
    );
    const file = path.join(dir, 'pex.lock.json');
    const inputs = Array.from({ length: 1000 }, (_, i) =>
      i % 2 ? mutateText(rng, text, '{}[]":,0123456789abcdefnull \n\\') : JSON.stringify(mutateJson(rng, JSON.parse(text)), null, 2),
    );
    const { ok, refused } = expectOnlyPexErrors(inputs, (input) => {
      writeFileSync(file, input);
      return readLockfile(file);
    });
    // What passes is still well-formed (a digit changed in a hash, a URL's host): fetching checks those.
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(ok);
  });

  const writeLock = (text: string) => {
    const file = path.join(dir, 'pylock.toml');
    writeFileSync(file, text);
    return file;
  };

  const TOML_ALPHABET = '[]{}"\'=.,#0123456789abcdeftrue \n\\';
  // TOML has no null, and its top level is a table: what stringify refuses is damaged as text instead.
  const asToml = (value: unknown): string | null => {
    try {
      return stringifyToml(value as Record<string, unknown>);
    } catch {
      return null;
    }
  };

  test.each([
    ['of several environments, with markers', fuzzLock],
    ['of one environment', singleLock],
  ])('pylock.toml files %s', (_, lock) => {
    const rng = prng(5);
    const text = formatLockfile(lock);
    const packages = sortPackages(lock.packages).map((p) => ({ ...p, files: orderFiles(p.files) }));
    expect(readLockfile(writeLock(text))).toEqual({ ...lock, packages });
    const file = path.join(dir, 'pylock.toml');
    const inputs = Array.from({ length: 1000 }, (_, i) =>
      i % 2 ? mutateText(rng, text, TOML_ALPHABET) : (asToml(mutateJson(rng, parseToml(text))) ?? mutateText(rng, text, TOML_ALPHABET)),
    );
    const { ok, refused } = expectOnlyPexErrors(inputs, (input) => {
      writeFileSync(file, input);
      return readLockfile(file);
    });
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(ok);
  });

  test('package markers: any set of environments reads back as written', () => {
    const rng = prng(6);
    const all = PLATFORMS.flatMap((platform) =>
      ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'].map((python) => ({ platform, python })),
    );
    for (let n = 0; n < 500; n++) {
      const covered = all.filter(() => rng.next() < 0.7);
      const chosen = covered.filter(() => rng.next() < 0.5).map(environmentId);
      if (!chosen.length) continue;
      const marker = packageMarker(chosen, covered);
      const read =
        marker === undefined
          ? covered.map(environmentId)
          : covered.filter((e) => evaluateMarker(marker, markerValues(e))).map(environmentId);
      expect([marker, read]).toEqual([marker, chosen]);
    }
  });

  test('wheels (zips) for their scripts', async () => {
    const rng = prng(4);
    const wheel = await buildTestWheel(path.join(dir, 'wheels'), { name: 'tool', version: '1.0', consoleScripts: { tool: 'tool:main' } });
    const bytes = readFileSync(wheel);
    const file = path.join(dir, 'fuzzed.whl');
    const inputs = Array.from({ length: 1500 }, () => {
      const copy = Buffer.from(bytes);
      if (rng.next() < 0.3) return copy.subarray(0, rng.int(copy.length));
      for (let n = 1 + rng.int(8); n > 0; n--) copy[rng.int(copy.length)] = rng.int(256);
      return copy;
    });
    const { ok, refused } = expectOnlyPexErrors(inputs, (input) => {
      writeFileSync(file, input);
      return readWheelScripts(file);
    });
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
