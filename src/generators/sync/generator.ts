import { getProjects, readNxJson, Tree } from '@nx/devkit';
import type { SyncGeneratorResult } from '@nx/devkit/internal';
import { isDeepStrictEqual } from 'node:util';
import * as path from 'node:path';
import { formatError, PexError } from '../../core/common';
import { formatLockfile, keptPins, Lockfile, readLockfile } from '../../core/lock';
import { parseRequirements, requirementsHash } from '../../core/requirements';
import { resolveRequirements } from '../../core/workflows';
import { shownByNx } from '../errors';
import { indexOptionsOf, LOCK_FILE, LOCK_FILES, normalizeOptions, pluginOptionsOf, REQUIREMENTS_FILE } from '../../plugins/options';

/** Why a lock no longer matches what its project asks for (said of the lock), or undefined when it does. */
function staleness(lock: Lockfile | undefined, hash: string, constraints: string[]): string | undefined {
  if (!lock) return 'is not valid';
  if (lock.requirementsHash !== hash) return `is stale against its ${REQUIREMENTS_FILE}`;
  if (!isDeepStrictEqual([...lock.interpreterConstraints].sort(), [...constraints].sort())) {
    return (
      `was made for interpreters ${JSON.stringify(lock.interpreterConstraints)} ` +
      `instead of the lock target's interpreterConstraints ${JSON.stringify(constraints)}`
    );
  }
  return undefined;
}

/**
 * The global sync generator (nx.json `sync.globalGenerators`): a tool's lock must match its
 * requirements.txt and the interpreters its lock target names. A stale lock is re-resolved with pip
 * into the tree, so `nx sync` writes the fresh lock and `nx sync:check` fails naming the fix. pip
 * runs only for a stale lock, and nothing runs before tasks (it is not a task sync generator).
 */
export async function syncGenerator(tree: Tree): Promise<SyncGeneratorResult> {
  const pluginOptions = pluginOptionsOf(readNxJson(tree));
  const names = normalizeOptions(pluginOptions);
  const stale: PexError[] = [];
  for (const [name, project] of getProjects(tree)) {
    const requirementsFile = `${project.root}/${REQUIREMENTS_FILE}`;
    // A JSON lock of an earlier version is checked too; a re-lock writes its pylock.toml in its place.
    const lockFile = LOCK_FILES.map((f) => `${project.root}/${f}`).find((f) => tree.exists(f));
    if (!tree.exists(requirementsFile) || !lockFile) continue;
    const requirements = parseRequirements(tree.read(requirementsFile, 'utf8')!, requirementsFile);
    const options = project.targets?.[names.lockTargetName]?.options ?? {};
    const constraints: string[] = options.interpreterConstraints ?? [];
    let lock: Lockfile | undefined;
    try {
      lock = readLockfile(path.join(tree.root, lockFile));
    } catch (e) {
      if (!(e instanceof PexError)) throw e;
    }
    const why = staleness(lock, requirementsHash(requirements), constraints);
    if (!why) continue;
    const fix = `nx run ${name}:${names.lockTargetName}`;
    try {
      const fresh = await resolveRequirements(requirements, {
        workspaceRoot: tree.root,
        cwd: path.join(tree.root, project.root),
        lockDir: path.join(tree.root, project.root),
        // As the lock target does: every pin the requirements still allow is kept.
        pins: (environment) => keptPins(lock ?? null, {}, environment),
        python: options.python,
        interpreterConstraints: constraints,
        platforms: options.platforms ?? pluginOptions.platforms,
        index: { ...indexOptionsOf(pluginOptions), ...indexOptionsOf(options) },
      });
      tree.write(`${project.root}/${LOCK_FILE}`, formatLockfile(fresh));
      if (lockFile !== `${project.root}/${LOCK_FILE}`) tree.delete(lockFile);
    } catch (e) {
      if (e instanceof PexError) throw shownByNx(new PexError(`${lockFile} ${why} and re-locking it failed: ${e.what}`, e.where, e.fix));
      throw e;
    }
    stale.push(new PexError(`the lock ${why}`, lockFile, `run ${fix} (or nx sync)`));
  }
  return stale.length ? { outOfSyncMessage: stale.map((e) => formatError(e)).join('\n') } : {};
}

export default syncGenerator;
