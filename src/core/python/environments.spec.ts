import { PexError } from '../common';
import {
  environmentId,
  environmentMarker,
  environmentTags,
  interpreterEnvironment,
  lockEnvironments,
  lockMinors,
  markerValues,
  parseEnvironmentId,
  parsePlatforms,
  pipTargetArgs,
  wheelRank,
} from './environments';

const tagsOf = (wheel: string) => {
  const [python, abi, platform] = wheel
    .replace(/\.whl$/, '')
    .split('-')
    .slice(-3);
  return python.split('.').flatMap((py) => abi.split('.').flatMap((a) => platform.split('.').map((p) => `${py}-${a}-${p}`)));
};

describe('environments', () => {
  it('names an environment by platform and CPython tag, and reads the name back', () => {
    expect(environmentId({ platform: 'macos_arm64', python: '3.9' })).toBe('macos_arm64-cp39');
    expect(parseEnvironmentId('linux_x86_64-cp311')).toEqual({ platform: 'linux_x86_64', python: '3.11' });
    expect(parseEnvironmentId('windows_x86_64-cp311')).toBeNull();
  });

  it('reads the platforms option as a comma list or an array, and names the valid ones for a typo', () => {
    expect(parsePlatforms('linux_x86_64, macos_arm64', '--platforms')).toEqual(['linux_x86_64', 'macos_arm64']);
    expect(parsePlatforms(['macos_x86_64', 'linux_aarch64,macos_x86_64'], 'platforms')).toEqual(['macos_x86_64', 'linux_aarch64']);
    expect(() => parsePlatforms('linux_x86_64,darwin', '--platforms')).toThrow(
      new PexError(
        "unknown platform 'darwin'",
        '--platforms',
        'use some of linux_x86_64, linux_aarch64, macos_arm64, macos_x86_64, separated by commas',
      ),
    );
    expect(() => parsePlatforms(' , ', 'platforms')).toThrow(/no platform is named, platforms: use some of/);
  });

  it('locks the minors the constraints allow, or the interpreter minor and newer', () => {
    expect(lockMinors(['>=3.9,<3.14'], { version: [3, 11, 2] })).toEqual(['3.9', '3.10', '3.11', '3.12', '3.13']);
    expect(lockMinors(['==3.11.*', 'CPython==3.8.10'], { version: [3, 12, 0] })).toEqual(['3.8', '3.11']);
    expect(lockMinors([], { version: [3, 11, 7] })).toEqual(['3.11', '3.12', '3.13', '3.14']);
    expect(lockEnvironments(['macos_arm64', 'linux_x86_64'], ['3.10', '3.11']).map(environmentId)).toEqual([
      'macos_arm64-cp310',
      'macos_arm64-cp311',
      'linux_x86_64-cp310',
      'linux_x86_64-cp311',
    ]);
  });

  it("knows the locking interpreter's own environment from sysconfig's platform", () => {
    const of = (platform: string) => interpreterEnvironment({ platform, version: [3, 11, 2], implementation: 'cpython' });
    expect(of('linux-x86_64')).toEqual({ platform: 'linux_x86_64', python: '3.11' });
    expect(of('linux-aarch64')).toEqual({ platform: 'linux_aarch64', python: '3.11' });
    expect(of('macosx-11.0-arm64')).toEqual({ platform: 'macos_arm64', python: '3.11' });
    expect(of('macosx-10.9-x86_64')).toEqual({ platform: 'macos_x86_64', python: '3.11' });
    expect(of('linux-i686')).toBeNull();
    expect(interpreterEnvironment({ platform: 'linux-x86_64', version: [3, 10, 0], implementation: 'pypy' })).toBeNull();
  });

  it("gives every PEP 508 variable the environment's value", () => {
    expect(markerValues({ platform: 'macos_arm64', python: '3.10' })).toEqual({
      python_version: '3.10',
      python_full_version: '3.10.0',
      os_name: 'posix',
      sys_platform: 'darwin',
      platform_release: '',
      platform_version: '',
      platform_machine: 'arm64',
      platform_system: 'Darwin',
      platform_python_implementation: 'CPython',
      implementation_name: 'cpython',
      implementation_version: '3.10.0',
    });
    expect(markerValues({ platform: 'linux_aarch64', python: '3.8' })).toMatchObject({
      sys_platform: 'linux',
      platform_system: 'Linux',
      platform_machine: 'aarch64',
    });
    expect(environmentMarker({ platform: 'linux_x86_64', python: '3.11' })).toBe(
      'sys_platform == "linux" and platform_machine == "x86_64" and ' +
        'platform_python_implementation == "CPython" and python_version == "3.11"',
    );
  });

  it('gives pip the tags of a foreign environment, the most compatible platform first', () => {
    const linux = pipTargetArgs({ platform: 'linux_aarch64', python: '3.12' });
    expect(linux.slice(0, 11)).toEqual([
      '--only-binary=:all:',
      '--python-version',
      '3.12',
      '--implementation',
      'cp',
      '--abi',
      'cp312',
      '--abi',
      'abi3',
      '--abi',
      'none',
    ]);
    const platforms = linux.filter((_, i) => linux[i - 1] === '--platform');
    expect(platforms[0]).toBe('manylinux2014_aarch64');
    expect(platforms).toContain('manylinux_2_28_aarch64');
    expect(platforms[platforms.length - 1]).toBe('linux_aarch64');
    const mac = pipTargetArgs({ platform: 'macos_x86_64', python: '3.9' }).filter((a) => a.startsWith('macosx'));
    expect([mac[0], mac[mac.length - 1]]).toEqual(['macosx_10_9_x86_64', 'macosx_14_0_x86_64']);
    const arm = pipTargetArgs({ platform: 'macos_arm64', python: '3.9' }).filter((a) => a.startsWith('macosx'));
    expect(arm).toEqual(['macosx_11_0_arm64', 'macosx_12_0_arm64', 'macosx_13_0_arm64', 'macosx_14_0_arm64']);
  });

  it('ranks wheels as pip does: the exact ABI first, then abi3, then pure; others do not fit', () => {
    const env = { platform: 'linux_x86_64' as const, python: '3.11' };
    const rank = (wheel: string) => wheelRank(env, tagsOf(wheel));
    const ranked = [
      'x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'x-1-cp311-cp311-manylinux_2_28_x86_64.whl',
      'x-1-cp311-cp311-linux_x86_64.whl',
      'x-1-cp38-abi3-manylinux2014_x86_64.whl',
      'x-1-py3-none-manylinux1_x86_64.whl',
      'x-1-py3-none-any.whl',
      'x-1-py2.py3-none-any.whl',
    ].map(rank);
    expect(ranked.every((r) => r !== null)).toBe(true);
    // Best first: each wheel of the list ranks before the next.
    expect(ranked.slice(0, 6).every((r, i) => i === 0 || r! > ranked[i - 1]!)).toBe(true);
    expect(rank('x-1-cp310-cp310-manylinux2014_x86_64.whl')).toBeNull();
    expect(rank('x-1-cp311-cp311-manylinux2014_aarch64.whl')).toBeNull();
    expect(rank('x-1-cp311-cp311-macosx_11_0_arm64.whl')).toBeNull();
    expect(rank('x-1-cp311-cp311-manylinux_2_31_x86_64.whl')).toBeNull();
    expect(rank('x-1-cp312-abi3-manylinux2014_x86_64.whl')).toBeNull();
  });

  it('matches macOS wheels by release and architecture, universal2 included', () => {
    const arm = { platform: 'macos_arm64' as const, python: '3.10' };
    expect(wheelRank(arm, tagsOf('x-1-cp310-cp310-macosx_11_0_arm64.whl'))).not.toBeNull();
    expect(wheelRank(arm, tagsOf('x-1-cp310-cp310-macosx_10_9_universal2.whl'))).not.toBeNull();
    expect(wheelRank(arm, tagsOf('x-1-cp310-cp310-macosx_10_9_x86_64.whl'))).toBeNull();
    expect(wheelRank(arm, tagsOf('x-1-cp310-cp310-macosx_15_0_arm64.whl'))).toBeNull();
    const intel = { platform: 'macos_x86_64' as const, python: '3.10' };
    expect(wheelRank(intel, tagsOf('x-1-cp310-cp310-macosx_10_9_x86_64.whl'))).not.toBeNull();
    expect(wheelRank(intel, tagsOf('x-1-cp310-cp310-macosx_11_0_arm64.whl'))).toBeNull();
    expect(environmentTags(intel)[0]).toBe('cp310-cp310-macosx_10_9_x86_64');
  });
});
