import { PexError } from '../common';
import { environmentId } from '../python';
import { canonicalName } from '../wheel';
import { coveredEnvironments, Lockfile } from './lockfile';

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

/**
 * The previous lock's pins to keep for one environment, as pip constraint lines (`name==version`): a
 * pin applies to the environments its package was locked for. An environment the previous lock did
 * not cover keeps the pins of the packages locked at one version everywhere.
 */
export function keptPins(previous: Lockfile | null, upgrade: Upgrade, environment: string): string[] {
  if (!previous || upgrade.all) return [];
  const moving = new Set((upgrade.packages ?? []).map(canonicalName));
  const staying = previous.packages.filter((p) => !moving.has(canonicalName(p.name)));
  const locked = staying.filter((p) => p.environments.includes(environment));
  if (locked.length || previous.packages.some((p) => p.environments.includes(environment))) {
    return locked.map((p) => `${p.name}==${p.version}`);
  }
  const versions = new Map<string, Set<string>>();
  for (const p of previous.packages) versions.set(p.name, (versions.get(p.name) ?? new Set()).add(p.version));
  return staying.filter((p) => versions.get(p.name)!.size === 1).map((p) => `${p.name}==${p.version}`);
}

/** An upgradePackage that names nothing in the new lock is a typo the user wants to hear about. */
export function assertUpgradedPackagesExist(next: Lockfile, upgrade: Upgrade, lockPath: string): void {
  const locked = new Set(next.packages.map((p) => canonicalName(p.name)));
  const unknown = (upgrade.packages ?? []).filter((p) => !locked.has(canonicalName(p)));
  if (unknown.length) {
    throw new PexError(
      `upgradePackage ${unknown.join(', ')} is not in the lock (locked: ${[...locked].join(', ')})`,
      lockPath,
      'check the spelling, or add it to requirements.txt',
    );
  }
}

/** A name's versions across the environments: `1.0`, or `1.0, 2.0 by environment`. */
function versionsOf(lock: Lockfile | null, name: string): string {
  const versions = [...new Set((lock?.packages ?? []).filter((p) => canonicalName(p.name) === name).map((p) => p.version))];
  versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return versions.length > 1 ? `${versions.join(', ')} by environment` : (versions[0] ?? '');
}

const filesOf = (lock: Lockfile | null, name: string) =>
  (lock?.packages ?? [])
    .filter((p) => canonicalName(p.name) === name)
    .flatMap((p) => p.files.map((f) => f.sha256))
    .sort()
    .join(' ');

/** Environment ids as a short list: `a, b, c and 4 more`. */
const someIds = (ids: string[]) => (ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`);

/**
 * One entry per change: `+ environments a, b`, `- environments c`, then per distribution
 * `name 1.0.0 → 1.1.0`, `+ name 2.0.1`, `- name 0.4.3`, `name 1.0.0: other files (<filenames>)`;
 * a distribution locked at several versions reads `1.0, 2.0 by environment`.
 */
export function lockChanges(previous: Lockfile | null, next: Lockfile): string[] {
  const changes: string[] = [];
  if (previous) {
    const ids = (lock: Lockfile) => coveredEnvironments(lock).map(environmentId);
    const [before, after] = [ids(previous), ids(next)];
    const added = after.filter((id) => !before.includes(id));
    const removed = before.filter((id) => !after.includes(id));
    if (added.length) changes.push(`+ environments ${someIds(added)}`);
    if (removed.length) changes.push(`- environments ${someIds(removed)}`);
  }
  const names = [...new Set([...(previous?.packages ?? []), ...next.packages].map((p) => canonicalName(p.name)))].sort();
  for (const name of names) {
    const [old, now] = [versionsOf(previous, name), versionsOf(next, name)];
    if (!old) changes.push(`+ ${name} ${now}`);
    else if (!now) changes.push(`- ${name} ${old}`);
    else if (old !== now) changes.push(`${name} ${old} → ${now}`);
    else if (filesOf(previous, name) !== filesOf(next, name)) {
      const files = next.packages.filter((p) => canonicalName(p.name) === name).flatMap((p) => p.files.map((f) => f.filename));
      changes.push(`${name} ${now}: other files (${someIds(files)})`);
    }
  }
  return changes;
}
