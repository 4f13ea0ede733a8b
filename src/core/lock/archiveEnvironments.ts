import { PexError } from '../common';
import { LockedArtifact, Lockfile } from './lockfile';

/*
 * Stand-in for the multi-environment lock's archiveEnvironments: today's Lockfile covers the one
 * interpreter that made it, so it maps to one environment whose packages each have one file.
 */

type Platform = 'linux_x86_64' | 'linux_aarch64' | 'macos_arm64' | 'macos_x86_64';

function platformOf(tag: string): Platform {
  const linux = /^linux_(x86_64|aarch64)$/.exec(tag);
  if (linux) return `linux_${linux[1]}` as Platform;
  const mac = /^macosx_\d+_\d+_(arm64|x86_64)$/.exec(tag);
  if (mac) return `macos_${mac[1]}` as Platform;
  throw new PexError(`the lock was made on platform ${tag}`, 'the lock', 'relock on Linux (x86_64, aarch64) or macOS (arm64, x86_64)');
}

/** For each covered environment (only those on `platforms`, when given), the files it installs, per package best-ranked first. */
export function archiveEnvironments(
  lock: Lockfile,
  platforms?: string[],
): Array<{ id: string; platform: Platform; python: string; files: LockedArtifact[][] }> {
  const platform = platformOf(lock.interpreter.platform);
  const id = `${platform}-cp${lock.interpreter.version.replace('.', '')}`;
  if (platforms && !platforms.includes(platform)) {
    throw new PexError(
      `platforms ${platforms.join(', ')} name no environment of the lock`,
      'the platforms option',
      `use one the lock covers (${id}), or relock with --platforms`,
    );
  }
  return [{ id, platform, python: lock.interpreter.version, files: lock.artifacts.map((a) => [a]) }];
}
