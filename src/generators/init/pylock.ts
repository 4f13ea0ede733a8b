import { getProjects, logger, Tree, updateProjectConfiguration, visitNotIgnoredFiles } from '@nx/devkit';
import * as path from 'node:path';
import { PexError } from '../../core/common';
import { formatLockfile, LEGACY_LOCK_FILE_NAME, LOCK_FILE_NAME, parseLegacyJsonLock, toLockRelative } from '../../core/lock';

const LEGACY_OPTION = `{projectRoot}/${LEGACY_LOCK_FILE_NAME}`;

/**
 * Converts every `pex.lock.json` of an earlier version to the pylock.toml beside it (same pins,
 * local files by their path relative to the lock), and points lockFile options that named the JSON
 * lock at it. A JSON lock that cannot be read, or that has a pylock.toml beside it already, stays,
 * with one line saying what to do; builds still read it. Returns the converted locks.
 */
export function migrateToPylock(tree: Tree): string[] {
  const converted: string[] = [];
  const legacy: string[] = [];
  visitNotIgnoredFiles(tree, '', (file) => {
    if (path.posix.basename(file) === LEGACY_LOCK_FILE_NAME) legacy.push(file);
  });
  for (const file of legacy.sort()) {
    const target = path.posix.join(path.posix.dirname(file), LOCK_FILE_NAME);
    if (tree.exists(target)) {
      logger.warn(`[pex] kept ${file}: ${target} is already there and is the lock builds read; delete ${file} once you have checked it`);
      continue;
    }
    try {
      const lock = parseLegacyJsonLock(tree.read(file, 'utf8')!, file);
      tree.write(target, formatLockfile(toLockRelative(lock, tree.root, path.join(tree.root, path.posix.dirname(file)))));
    } catch (e) {
      if (!(e instanceof PexError)) throw e;
      logger.warn(
        `[pex] kept ${file}, which could not be converted to ${LOCK_FILE_NAME} (${e.message}): run the tool's lock target to write it`,
      );
      continue;
    }
    tree.delete(file);
    converted.push(file);
  }
  for (const [name, project] of getProjects(tree)) {
    let changed = false;
    for (const target of Object.values(project.targets ?? {})) {
      for (const options of [target.options, ...Object.values(target.configurations ?? {})]) {
        if (options?.lockFile === LEGACY_OPTION || options?.lockFile === `${project.root}/${LEGACY_LOCK_FILE_NAME}`) {
          options.lockFile = options.lockFile.replace(LEGACY_LOCK_FILE_NAME, LOCK_FILE_NAME);
          changed = true;
        }
      }
    }
    if (changed) updateProjectConfiguration(tree, name, project);
  }
  for (const file of converted)
    logger.info(`[pex] converted ${file} to ${path.posix.join(path.posix.dirname(file), LOCK_FILE_NAME)} (PEP 751)`);
  return converted;
}

export default function migration(tree: Tree): void {
  migrateToPylock(tree);
}
