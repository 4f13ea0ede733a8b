'use strict';
// The environments of the bench's multi-environment lock: the four platforms a lock covers by
// default, each with one CPython minor per entry of MINORS, as pip target flags and PEP 508 marker
// values. The tags follow pip's and pex's platform tags: the newest first, enough of them that pip
// computes a realistic set of supported tags per environment.

const MINORS = [9, 10, 11, 12, 13];

const range = (from, to) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

const PLATFORMS = {
  linux_x86_64: {
    markers: { os_name: 'posix', sys_platform: 'linux', platform_system: 'Linux', platform_machine: 'x86_64' },
    tags: [...range(39, 17).map((v) => `manylinux_2_${v}_x86_64`), 'manylinux2014_x86_64', 'linux_x86_64'],
  },
  linux_aarch64: {
    markers: { os_name: 'posix', sys_platform: 'linux', platform_system: 'Linux', platform_machine: 'aarch64' },
    tags: [...range(39, 17).map((v) => `manylinux_2_${v}_aarch64`), 'manylinux2014_aarch64', 'linux_aarch64'],
  },
  macos_arm64: {
    markers: { os_name: 'posix', sys_platform: 'darwin', platform_system: 'Darwin', platform_machine: 'arm64' },
    tags: range(14, 11).flatMap((v) => [`macosx_${v}_0_arm64`, `macosx_${v}_0_universal2`]),
  },
  macos_x86_64: {
    markers: { os_name: 'posix', sys_platform: 'darwin', platform_system: 'Darwin', platform_machine: 'x86_64' },
    tags: [
      ...range(14, 11).flatMap((v) => [`macosx_${v}_0_x86_64`, `macosx_${v}_0_universal2`]),
      ...range(16, 9).flatMap((v) => [`macosx_10_${v}_x86_64`, `macosx_10_${v}_universal2`]),
    ],
  },
};

/** EnvironmentRequest[] (src/core/pip/resolveEnvironments.ts) for every platform × minor. */
function benchEnvironments() {
  return Object.entries(PLATFORMS).flatMap(([platform, { markers, tags }]) =>
    MINORS.map((minor) => {
      const version = `3.${minor}`;
      return {
        id: `${platform}-cp3${minor}`,
        targetArgs: [
          ...['--only-binary=:all:', '--python-version', version, '--implementation', 'cp'],
          ...['--abi', `cp3${minor}`, '--abi', 'abi3', '--abi', 'none'],
          ...tags.flatMap((tag) => ['--platform', tag]),
        ],
        markers: {
          ...markers,
          implementation_name: 'cpython',
          implementation_version: `${version}.0`,
          platform_python_implementation: 'CPython',
          platform_release: '',
          platform_version: '',
          python_full_version: `${version}.0`,
          python_version: version,
        },
        constraints: [],
      };
    }),
  );
}

module.exports = { benchEnvironments };
