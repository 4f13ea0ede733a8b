import { PexError } from '../common';
import { assertUpgradedPackagesExist, keptPins, lockChanges } from './changes';
import { parseEnvironmentId } from '../python';
import { LockedArtifact, Lockfile } from './lockfile';

const artifact = (name: string, version: string, sha = 'a'): LockedArtifact => ({
  name,
  version,
  filename: `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`,
  path: `wheels/${name}-${version}.whl`,
  sha256: sha.repeat(64),
});

const ONE = ['linux_x86_64-cp311'];
const lockOf = (...artifacts: Array<LockedArtifact & { environments?: string[] }>): Lockfile => {
  const ids = [...new Set(artifacts.flatMap((a) => a.environments ?? ONE))];
  return {
    requirements: ['hellotool'],
    pipOptions: [],
    requirementsHash: '0'.repeat(64),
    interpreterConstraints: [],
    environments: ids.map((id) => ({ ...parseEnvironmentId(id)!, covered: true })),
    packages: artifacts.map(({ environments, ...a }) => ({
      name: a.name,
      version: a.version,
      environments: environments ?? ONE,
      files: [a],
    })),
  };
};
const inEnvironments = (a: LockedArtifact, ...environments: string[]) => ({ ...a, environments });

describe('lockChanges', () => {
  it('lists moved, added and removed distributions, and files that changed under one version', () => {
    const before = lockOf(
      artifact('hellotool', '1.0.0'),
      artifact('greetlib', '1.0'),
      artifact('mypy-extensions', '0.4.3'),
      artifact('click', '8.1.3'),
    );
    const after = lockOf(
      artifact('hellotool', '1.1.0'),
      artifact('greetlib', '1.0'),
      artifact('tomli', '2.0.1'),
      artifact('click', '8.1.3', 'b'),
    );
    expect(lockChanges(before, after)).toEqual([
      'click 8.1.3: other files (click-8.1.3-py3-none-any.whl)',
      'hellotool 1.0.0 → 1.1.0',
      '- mypy-extensions 0.4.3',
      '+ tomli 2.0.1',
    ]);
  });

  it('is empty when nothing changed, and lists everything as added for a first lock', () => {
    const lock = lockOf(artifact('hellotool', '1.0.0'));
    expect(lockChanges(lock, lockOf(artifact('hellotool', '1.0.0')))).toEqual([]);
    expect(lockChanges(null, lock)).toEqual(['+ hellotool 1.0.0']);
  });

  it('says which environments came or went, and when a distribution has versions by environment', () => {
    const [a, b] = ['linux_x86_64-cp310', 'linux_x86_64-cp311'];
    const before = lockOf(artifact('hellotool', '1.0.0'), artifact('tomli', '2.0.1'));
    const after = lockOf(
      inEnvironments(artifact('hellotool', '1.0.0'), a, b),
      inEnvironments(artifact('tomli', '2.0.1'), a),
      inEnvironments(artifact('tomli', '2.1.0'), b),
    );
    expect(lockChanges(before, after)).toEqual(['+ environments linux_x86_64-cp310', 'tomli 2.0.1 → 2.0.1, 2.1.0 by environment']);
    expect(lockChanges(after, before)).toEqual(['- environments linux_x86_64-cp310', 'tomli 2.0.1, 2.1.0 by environment → 2.0.1']);
  });
});

describe('keptPins', () => {
  const lock = lockOf(artifact('hellotool', '1.0.0'), artifact('greetlib', '1.0'));
  it('keeps every pin, none with upgrade, all but the named packages (any spelling) with upgradePackage', () => {
    expect(keptPins(lock, {}, ONE[0])).toEqual(['hellotool==1.0.0', 'greetlib==1.0']);
    expect(keptPins(lock, { all: true }, ONE[0])).toEqual([]);
    expect(keptPins(lock, { packages: ['GreetLib'] }, ONE[0])).toEqual(['hellotool==1.0.0']);
    expect(keptPins(null, {}, ONE[0])).toEqual([]);
  });

  it("keeps an environment's own pins; a new environment keeps those locked at one version everywhere", () => {
    const [a, b] = ['linux_x86_64-cp310', 'macos_arm64-cp310'];
    const several = lockOf(
      inEnvironments(artifact('hellotool', '1.0.0'), a, b),
      inEnvironments(artifact('tomli', '2.0.1'), a),
      inEnvironments(artifact('tomli', '2.1.0'), b),
      inEnvironments(artifact('appnope', '0.1'), b),
    );
    expect(keptPins(several, {}, a)).toEqual(['hellotool==1.0.0', 'tomli==2.0.1']);
    expect(keptPins(several, {}, b)).toEqual(['hellotool==1.0.0', 'tomli==2.1.0', 'appnope==0.1']);
    expect(keptPins(several, {}, 'linux_aarch64-cp310')).toEqual(['hellotool==1.0.0', 'appnope==0.1']);
  });

  it('refuses an upgradePackage the lock does not hold, naming what it holds', () => {
    expect(() => assertUpgradedPackagesExist(lock, { packages: ['clik'] }, 'tools/x/pex.lock.json')).toThrow(
      new PexError(
        'upgradePackage clik is not in the lock (locked: hellotool, greetlib)',
        'tools/x/pex.lock.json',
        'check the spelling, or add it to requirements.txt',
      ),
    );
    expect(() => assertUpgradedPackagesExist(lock, { packages: ['Hellotool'] }, 'x')).not.toThrow();
  });
});
