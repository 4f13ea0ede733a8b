import { PexError } from '../common';
import { assertUpgradedPackagesExist, keptPins, lockChanges } from './changes';
import { LockedArtifact, Lockfile } from './lockfile';

const artifact = (name: string, version: string, sha = 'a'): LockedArtifact => ({
  name,
  version,
  filename: `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`,
  path: `wheels/${name}-${version}.whl`,
  sha256: sha.repeat(64),
});

const lockOf = (...artifacts: LockedArtifact[]): Lockfile => ({
  requirements: ['hellotool'],
  pipOptions: [],
  requirementsHash: '0'.repeat(64),
  interpreter: { implementation: 'cpython', version: '3.11', tag: 'cp311', platform: 'linux_x86_64' },
  interpreterConstraints: [],
  artifacts,
});

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
      'click 8.1.3: another file (click-8.1.3-py3-none-any.whl)',
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
});

describe('keptPins', () => {
  const lock = lockOf(artifact('hellotool', '1.0.0'), artifact('greetlib', '1.0'));
  it('keeps every pin, none with upgrade, all but the named packages (any spelling) with upgradePackage', () => {
    expect(keptPins(lock, {})).toEqual(['hellotool==1.0.0', 'greetlib==1.0']);
    expect(keptPins(lock, { all: true })).toEqual([]);
    expect(keptPins(lock, { packages: ['GreetLib'] })).toEqual(['hellotool==1.0.0']);
    expect(keptPins(null, {})).toEqual([]);
  });

  it('refuses an upgradePackage the lock does not hold, naming what it holds', () => {
    expect(() => assertUpgradedPackagesExist(lock, { packages: ['clik'] }, 'tools/x/pex.lock.json')).toThrow(
      new PexError(
        'upgradePackage clik: not in tools/x/pex.lock.json (locked: hellotool, greetlib); check the spelling, or add ' +
          'it to requirements.txt',
      ),
    );
    expect(() => assertUpgradedPackagesExist(lock, { packages: ['Hellotool'] }, 'x')).not.toThrow();
  });
});
