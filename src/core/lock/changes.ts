import { PexError } from '../common';
import { canonicalName } from '../wheel';
import { Lockfile } from './lockfile';

/*
 * Relocking, independent of the lock's file format: which pins to keep, and what changed.
 * As `uv lock --upgrade-package` and `pex3 lock update -p`: a relock keeps every pin the
 * requirements still allow; `all` or named packages move to the newest allowed versions.
 */

export interface Upgrade {
  /** Every distribution moves to the newest allowed version. */
  all?: boolean;
  /** Only these move (project names, any spelling). */
  packages?: string[];
}

/** The previous lock's pins to keep, as pip constraint lines (`name==version`). */
export function keptPins(previous: Lockfile | null, upgrade: Upgrade): string[] {
  if (!previous || upgrade.all) return [];
  const moving = new Set((upgrade.packages ?? []).map(canonicalName));
  return previous.artifacts.filter((a) => !moving.has(canonicalName(a.name))).map((a) => `${a.name}==${a.version}`);
}

/** An upgradePackage that names nothing in the new lock is a typo the user wants to hear about. */
export function assertUpgradedPackagesExist(next: Lockfile, upgrade: Upgrade, lockPath: string): void {
  const locked = new Set(next.artifacts.map((a) => canonicalName(a.name)));
  const unknown = (upgrade.packages ?? []).filter((p) => !locked.has(canonicalName(p)));
  if (unknown.length) {
    throw new PexError(
      `upgradePackage ${unknown.join(', ')}: not in ${lockPath} (locked: ${[...locked].join(', ')}); check the ` +
        `spelling, or add it to requirements.txt`,
    );
  }
}

/** One entry per change: `name 1.0.0 → 1.1.0`, `+ name 2.0.1`, `- name 0.4.3`, `name 1.0.0: another file (<filename>)`. */
export function lockChanges(previous: Lockfile | null, next: Lockfile): string[] {
  const before = new Map((previous?.artifacts ?? []).map((a) => [canonicalName(a.name), a]));
  const after = new Map(next.artifacts.map((a) => [canonicalName(a.name), a]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: string[] = [];
  for (const name of names) {
    const [old, now] = [before.get(name), after.get(name)];
    if (!old && now) changes.push(`+ ${now.name} ${now.version}`);
    else if (old && !now) changes.push(`- ${old.name} ${old.version}`);
    else if (old && now && old.version !== now.version) changes.push(`${now.name} ${old.version} → ${now.version}`);
    else if (old && now && old.sha256 !== now.sha256) changes.push(`${now.name} ${now.version}: another file (${now.filename})`);
  }
  return changes;
}
