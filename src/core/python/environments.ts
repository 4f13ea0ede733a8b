import { PexError } from '../common';
import { satisfies } from './constraints';
import type { Interpreter } from './interpreters';

/*
 * The environments a lock covers: a platform × a CPython minor, e.g. `linux_x86_64-cp311`. Each
 * has the PEP 508 marker values readers evaluate, and the wheel tags pip and pex compute for it,
 * preferred first: pip gets them as target flags, and the same list ranks the locked wheels.
 */

export const PLATFORMS = ['linux_x86_64', 'linux_aarch64', 'macos_arm64', 'macos_x86_64'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The CPython minors a lock can cover (3.8–3.14). */
export const LOCK_MINORS = { oldest: 8, newest: 14 };

export interface LockEnvironment {
  platform: Platform;
  /** 'major.minor' */
  python: string;
}

export const isPlatform = (s: string): s is Platform => (PLATFORMS as readonly string[]).includes(s);

export const environmentId = (e: LockEnvironment) => `${e.platform}-cp${e.python.replace('.', '')}`;

/** `linux_x86_64-cp311` → its environment, or null for anything else. */
export function parseEnvironmentId(id: string): LockEnvironment | null {
  const m = /^([a-z0-9_]+)-cp3(\d+)$/.exec(id);
  return m && isPlatform(m[1]) ? { platform: m[1], python: `3.${m[2]}` } : null;
}

/** The `platforms` option: a comma list or an array, each name once, in the order given. */
export function parsePlatforms(value: string | string[], where: string): Platform[] {
  const names = ([] as string[])
    .concat(value)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const unknown = names.find((n) => !isPlatform(n));
  if (unknown !== undefined) {
    throw new PexError(`unknown platform '${unknown}'`, where, `use some of ${PLATFORMS.join(', ')}, separated by commas`);
  }
  if (!names.length) throw new PexError('no platform is named', where, `use some of ${PLATFORMS.join(', ')}, separated by commas`);
  return [...new Set(names)] as Platform[];
}

const minorOf = (python: string) => Number(python.split('.')[1]);
// A minor is allowed when some patch release of it is; interpreters do not reach patch 100.
const PATCHES = Array.from({ length: 100 }, (_, i) => i);

/**
 * The CPython minors to lock, oldest first: those the constraints allow, or without constraints the
 * locking interpreter's minor and newer.
 */
export function lockMinors(constraints: string[], interpreter: Pick<Interpreter, 'version'>): string[] {
  const minors: string[] = [];
  for (let minor = LOCK_MINORS.oldest; minor <= LOCK_MINORS.newest; minor++) {
    const allowed = constraints.length
      ? PATCHES.some((patch) => satisfies(constraints, [3, minor, patch]))
      : minor >= interpreter.version[1] && interpreter.version[0] === 3;
    if (allowed) minors.push(`3.${minor}`);
  }
  return minors;
}

/** Every platform × minor, in the order given: platforms first, then minors oldest first. */
export function lockEnvironments(platforms: readonly Platform[], minors: string[]): LockEnvironment[] {
  return platforms.flatMap((platform) => minors.map((python) => ({ platform, python })));
}

const ARCH: Record<Platform, string> = {
  linux_x86_64: 'x86_64',
  linux_aarch64: 'aarch64',
  macos_arm64: 'arm64',
  macos_x86_64: 'x86_64',
};
const isLinux = (p: Platform) => p.startsWith('linux_');

/** The locking interpreter's own environment (sysconfig's `linux-x86_64`, `macosx-11.0-arm64`), or null on another platform. */
export function interpreterEnvironment(interpreter: Pick<Interpreter, 'platform' | 'version' | 'implementation'>): LockEnvironment | null {
  if (interpreter.implementation !== 'cpython') return null;
  const linux = /^linux-(x86_64|aarch64)$/.exec(interpreter.platform);
  const mac = /^macosx-[\d.]+-(arm64|x86_64)$/.exec(interpreter.platform);
  const platform = linux ? `linux_${linux[1]}` : mac ? `macos_${mac[1]}` : null;
  return platform && isPlatform(platform) ? { platform, python: `${interpreter.version[0]}.${interpreter.version[1]}` } : null;
}

/** The PEP 508 marker values of an environment (what an interpreter of it would report; release and version unknown). */
export function markerValues(e: LockEnvironment): Record<string, string> {
  const linux = isLinux(e.platform);
  return {
    python_version: e.python,
    python_full_version: `${e.python}.0`,
    os_name: 'posix',
    sys_platform: linux ? 'linux' : 'darwin',
    platform_release: '',
    platform_version: '',
    platform_machine: ARCH[e.platform],
    platform_system: linux ? 'Linux' : 'Darwin',
    platform_python_implementation: 'CPython',
    implementation_name: 'cpython',
    implementation_version: `${e.python}.0`,
  };
}

/** The marker that says "this platform" (readers evaluate it against their target). */
export function platformMarker(platform: Platform): string {
  return `sys_platform == "${isLinux(platform) ? 'linux' : 'darwin'}" and platform_machine == "${ARCH[platform]}"`;
}

/** The environment's marker in a pylock.toml `environments` list. */
export function environmentMarker(e: LockEnvironment): string {
  return `${platformMarker(e.platform)} and platform_python_implementation == "CPython" and python_version == "${e.python}"`;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The platform tags pip gets, the most compatible first, so that of two wheels pip (and the runtime)
 * prefer the one that runs on the most machines: linux = glibc 2.17 (manylinux2014) to 2.28, then
 * `linux_<arch>` for wheels built locally; macOS arm64 = 11.0 to 14.0, x86_64 = 10.9 to 14.0.
 */
function pipPlatformTags(platform: Platform): string[] {
  const arch = ARCH[platform];
  if (isLinux(platform)) return [`manylinux2014_${arch}`, ...range(17, 28).map((g) => `manylinux_2_${g}_${arch}`), `linux_${arch}`];
  const versions =
    platform === 'macos_arm64'
      ? range(11, 14).map((v) => `${v}_0`)
      : [...range(9, 15).map((v) => `10_${v}`), ...range(11, 14).map((v) => `${v}_0`)];
  return versions.map((v) => `macosx_${v}_${arch}`);
}

/**
 * Every platform tag a wheel of the environment may carry, in rank order: pip's, each with what pip
 * expands it to (older manylinux aliases; macOS's universal2 and older releases).
 */
function platformTags(platform: Platform): string[] {
  const arch = ARCH[platform];
  if (isLinux(platform)) {
    const [first, ...rest] = pipPlatformTags(platform);
    const legacy =
      arch === 'x86_64'
        ? [
            `manylinux2010_${arch}`,
            `manylinux1_${arch}`,
            ...range(5, 16)
              .reverse()
              .map((g) => `manylinux_2_${g}_${arch}`),
          ]
        : [];
    return [first, ...rest.slice(0, -1), ...legacy, rest[rest.length - 1]];
  }
  const formats = platform === 'macos_arm64' ? ['arm64', 'universal2'] : ['x86_64', 'intel', 'fat64', 'fat32', 'universal2', 'universal'];
  const older =
    platform === 'macos_arm64'
      ? range(4, 16)
          .reverse()
          .map((v) => `10_${v}`)
      : range(4, 8)
          .reverse()
          .map((v) => `10_${v}`);
  const versions = pipPlatformTags(platform).map((t) => /^macosx_(\d+_\d+)_/.exec(t)![1]);
  const tags = versions.flatMap((v) => formats.map((f) => `macosx_${v}_${f}`));
  const olderFormats = platform === 'macos_arm64' ? ['universal2'] : formats;
  return [...tags, ...older.flatMap((v) => olderFormats.map((f) => `macosx_${v}_${f}`))];
}

/** The environment's wheel tags (`python-abi-platform`), preferred first, in the order of packaging's cpython and compatible tags. */
export function environmentTags(e: LockEnvironment): string[] {
  const minor = minorOf(e.python);
  const cp = `cp3${minor}`;
  const platforms = platformTags(e.platform);
  const each = (python: string, abi: string) => platforms.map((p) => `${python}-${abi}-${p}`);
  const pyRange = [
    `py3${minor}`,
    'py3',
    ...range(0, minor - 1)
      .reverse()
      .map((m) => `py3${m}`),
  ];
  return [
    ...each(cp, cp),
    ...each(cp, 'abi3'),
    ...each(cp, 'none'),
    ...range(2, minor - 1)
      .reverse()
      .flatMap((m) => each(`cp3${m}`, 'abi3')),
    ...pyRange.flatMap((py) => each(py, 'none')),
    `${cp}-none-any`,
    ...pyRange.map((py) => `${py}-none-any`),
  ];
}

const tagRanks = new Map<string, Map<string, number>>();

/** The rank of a wheel's tags in the environment (0 is the best), or null when the wheel does not run there. */
export function wheelRank(e: LockEnvironment, wheelTags: string[]): number | null {
  const id = environmentId(e);
  let ranks = tagRanks.get(id);
  if (!ranks) {
    ranks = new Map(environmentTags(e).map((t, i) => [t, i]));
    tagRanks.set(id, ranks);
  }
  const found = wheelTags.map((t) => ranks!.get(t)).filter((r): r is number => r !== undefined);
  return found.length ? Math.min(...found) : null;
}

/**
 * pip's target flags for a foreign environment: only wheels, the environment's Python, ABIs
 * (cpXY, abi3, none) and platform tags, preferred first.
 */
export function pipTargetArgs(e: LockEnvironment): string[] {
  const cp = `cp${e.python.replace('.', '')}`;
  return [
    ...['--only-binary=:all:', '--python-version', e.python, '--implementation', 'cp'],
    ...[cp, 'abi3', 'none'].flatMap((abi) => ['--abi', abi]),
    ...pipPlatformTags(e.platform).flatMap((p) => ['--platform', p]),
  ];
}
