import { PexError } from '../common';
import { environmentId, parsePlatforms, Platform, wheelRank } from '../python';
import { parseWheelName } from '../wheel';
import { coveredEnvironments, LockedArtifact, Lockfile } from './lockfile';

/**
 * For each covered environment (only those on `platforms`, when given), the files it installs: per
 * package, the files compatible with that environment, best-ranked first (the order of its tags).
 * A package with no compatible wheel there installs its sdist. A `platforms` list that names no
 * covered environment is a PexError.
 */
export function archiveEnvironments(
  lock: Lockfile,
  platforms?: string[],
): Array<{ id: string; platform: Platform; python: string; files: LockedArtifact[][] }> {
  const covered = coveredEnvironments(lock);
  const wanted = platforms?.length ? parsePlatforms(platforms, 'platforms') : null;
  const chosen = wanted ? covered.filter((e) => wanted.includes(e.platform)) : covered;
  if (!chosen.length) {
    const locked = [...new Set(covered.map((e) => e.platform))];
    throw new PexError(
      `the lock covers no environment on ${wanted!.join(', ')} (it covers ${locked.join(', ')})`,
      'platforms',
      `choose some of ${locked.join(', ')}, or relock with --platforms naming ${wanted!.join(', ')}`,
    );
  }
  return chosen.map((e) => {
    const id = environmentId(e);
    const files = lock.packages
      .filter((p) => p.environments.includes(id))
      .map((p) => {
        const ranked = p.files
          .filter((f) => f.filename.endsWith('.whl'))
          .map((f) => ({ f, rank: wheelRank(e, parseWheelName(f.filename).tags) }))
          .filter((r): r is { f: LockedArtifact; rank: number } => r.rank !== null)
          .sort((a, b) => a.rank - b.rank)
          .map((r) => r.f);
        const found = ranked.length ? ranked : p.files.filter((f) => !f.filename.endsWith('.whl'));
        if (!found.length) {
          throw new PexError(
            `${p.name} ${p.version} has no file for ${id} (${p.files.map((f) => f.filename).join(', ')})`,
            'the lock',
            'run the lock target to relock it',
          );
        }
        return found;
      });
    return { id, platform: e.platform, python: e.python, files };
  });
}
