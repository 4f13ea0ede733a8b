import type { LockedArtifact, Lockfile } from '../lock';

/** Test support: a lock of one environment (linux_x86_64 and the given Python) holding these files, one package each. */
export function lockOfFiles(files: LockedArtifact[], python: string, base: Partial<Lockfile> = {}): Lockfile {
  const id = `linux_x86_64-cp${python.replace('.', '')}`;
  return {
    requirements: ['pexnx-alpha'],
    pipOptions: [],
    requirementsHash: '0'.repeat(64),
    interpreterConstraints: [],
    ...base,
    environments: [{ platform: 'linux_x86_64', python, covered: true }],
    packages: files.map((f) => ({ name: f.name, version: f.version, environments: [id], files: [f] })),
  };
}

/** The lock with every file changed by `change`. */
export const withFiles = (lock: Lockfile, change: (file: LockedArtifact) => LockedArtifact): Lockfile => ({
  ...lock,
  packages: lock.packages.map((p) => ({ ...p, files: p.files.map(change) })),
});
