import { PexError } from '../common';
import { archiveEnvironments } from './archiveEnvironments';
import { LockedArtifact, Lockfile } from './lockfile';

const file = (name: string, version: string, tag: string): LockedArtifact => ({
  name,
  version,
  filename: tag.endsWith('.tar.gz') ? `${name}-${version}.tar.gz` : `${name}-${version}-${tag}.whl`,
  url: `https://host/${name}-${version}-${tag}`,
  sha256: 'a'.repeat(64),
});

const [LINUX310, LINUX311, MAC310, MAC311] = ['linux_x86_64-cp310', 'linux_x86_64-cp311', 'macos_arm64-cp310', 'macos_arm64-cp311'];

const lock: Lockfile = {
  requirements: ['app'],
  pipOptions: [],
  requirementsHash: '0'.repeat(64),
  interpreterConstraints: ['>=3.10,<3.12'],
  environments: [
    { platform: 'linux_x86_64', python: '3.10', covered: true },
    { platform: 'linux_x86_64', python: '3.11', covered: true },
    { platform: 'macos_arm64', python: '3.10', covered: true },
    { platform: 'macos_arm64', python: '3.11', covered: true },
    { platform: 'macos_x86_64', python: '3.10', covered: false },
  ],
  packages: [
    { name: 'app', version: '1.0', environments: [LINUX310, LINUX311, MAC310, MAC311], files: [file('app', '1.0', 'py3-none-any')] },
    {
      name: 'native',
      version: '2.0',
      environments: [LINUX310, LINUX311, MAC310, MAC311],
      files: [
        file('native', '2.0', 'cp310-abi3-macosx_11_0_arm64'),
        file('native', '2.0', 'cp310-abi3-manylinux2014_x86_64'),
        file('native', '2.0', 'cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64'),
        file('native', '2.0', 'py3-none-any'),
      ],
    },
    { name: 'tomli', version: '2.0.1', environments: [LINUX310, MAC310], files: [file('tomli', '2.0.1', 'py3-none-any')] },
    { name: 'built', version: '0.1', environments: [LINUX311], files: [file('built', '0.1', '.tar.gz')] },
  ],
};

const names = (files: LockedArtifact[][]) => files.map((f) => f.map((a) => a.filename));

describe('archiveEnvironments', () => {
  it("gives each covered environment its packages' compatible files, best-ranked first", () => {
    const environments = archiveEnvironments(lock);
    expect(environments.map((e) => [e.id, e.platform, e.python])).toEqual([
      [LINUX310, 'linux_x86_64', '3.10'],
      [LINUX311, 'linux_x86_64', '3.11'],
      [MAC310, 'macos_arm64', '3.10'],
      [MAC311, 'macos_arm64', '3.11'],
    ]);
    expect(names(environments[0].files)).toEqual([
      ['app-1.0-py3-none-any.whl'],
      [
        'native-2.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        'native-2.0-cp310-abi3-manylinux2014_x86_64.whl',
        'native-2.0-py3-none-any.whl',
      ],
      ['tomli-2.0.1-py3-none-any.whl'],
    ]);
    expect(names(environments[1].files)).toEqual([
      ['app-1.0-py3-none-any.whl'],
      ['native-2.0-cp310-abi3-manylinux2014_x86_64.whl', 'native-2.0-py3-none-any.whl'],
      ['built-0.1.tar.gz'],
    ]);
    expect(names(environments[3].files)).toEqual([
      ['app-1.0-py3-none-any.whl'],
      ['native-2.0-cp310-abi3-macosx_11_0_arm64.whl', 'native-2.0-py3-none-any.whl'],
    ]);
  });

  it('keeps only the environments of the platforms asked for, and refuses platforms the lock does not cover', () => {
    expect(archiveEnvironments(lock, ['macos_arm64']).map((e) => e.id)).toEqual([MAC310, MAC311]);
    expect(() => archiveEnvironments(lock, ['macos_x86_64', 'linux_aarch64'])).toThrow(
      new PexError(
        'the lock covers no environment on macos_x86_64, linux_aarch64 (it covers linux_x86_64, macos_arm64)',
        'platforms',
        'choose some of linux_x86_64, macos_arm64, or relock with --platforms naming macos_x86_64, linux_aarch64',
      ),
    );
    expect(() => archiveEnvironments(lock, ['windows'])).toThrow(/unknown platform 'windows', platforms: use some of/);
  });

  it('refuses a lock whose package has no file for one of its environments', () => {
    const broken = { ...lock, packages: [{ ...lock.packages[1], files: [lock.packages[1].files[0]] }] };
    expect(() => archiveEnvironments(broken)).toThrow(
      'native 2.0 has no file for linux_x86_64-cp310 (native-2.0-cp310-abi3-macosx_11_0_arm64.whl), the lock: run the lock target',
    );
  });
});
