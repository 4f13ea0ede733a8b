import type { NxJsonConfiguration, TargetConfiguration } from '@nx/devkit';
import type { IndexOptions } from '../core/resolve';
// Only the names: the inference loads nothing else of the core.
import { LEGACY_LOCK_FILE_NAME, LOCK_FILE_NAME } from '../core/lock/names';

/** The plugin's entry in nx.json: `{ "plugin": "pex", "options": { ... } }`. */
export const PLUGIN_NAME = 'pex';

export const REQUIREMENTS_FILE = 'requirements.txt';
/** The lock file the lock target writes (PEP 751). */
export const LOCK_FILE = LOCK_FILE_NAME;
/**
 * Lock files that make a project a tool project (beside requirements.txt), preferred first: a JSON
 * lock of an earlier version is converted by its next lock.
 */
export const LOCK_FILES = [LOCK_FILE, LEGACY_LOCK_FILE_NAME];

export interface PexPluginOptions extends IndexOptions {
  lockTargetName?: string;
  pexTargetName?: string;
  venvTargetName?: string;
  runTargetName?: string;
  /** Folder, relative to the workspace, under which archives and venvs go (`<distDir>/<projectRoot>/...`). */
  distDir?: string;
  /** The platforms every lock covers (a comma list or an array); default all four, leaving out what pip cannot satisfy. */
  platforms?: string | string[];
  /** Whether every archive ships its wheels' bytecode (the pex targets' `compile`); default true. */
  compile?: boolean;
}

export type TargetNames = Required<Pick<PexPluginOptions, 'lockTargetName' | 'pexTargetName' | 'venvTargetName' | 'runTargetName'>>;

export const defaultTargetNames: TargetNames = {
  lockTargetName: 'lock',
  pexTargetName: 'pex',
  venvTargetName: 'venv',
  runTargetName: 'run',
};
export const DEFAULT_DIST_DIR = 'dist';

export function normalizeOptions(options: PexPluginOptions | undefined): TargetNames & { distDir: string } {
  return {
    lockTargetName: options?.lockTargetName ?? defaultTargetNames.lockTargetName,
    pexTargetName: options?.pexTargetName ?? defaultTargetNames.pexTargetName,
    venvTargetName: options?.venvTargetName ?? defaultTargetNames.venvTargetName,
    runTargetName: options?.runTargetName ?? defaultTargetNames.runTargetName,
    distDir: (options?.distDir ?? DEFAULT_DIST_DIR).replace(/^\{workspaceRoot\}\/?/, '').replace(/\/+$/, ''),
  };
}

type PluginEntry = NonNullable<NxJsonConfiguration['plugins']>[number];

export const isPexEntry = (p: PluginEntry) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME;

/** The options of the plugin's nx.json entry ({} for a bare `"pex"` or no entry). */
export function pluginOptionsOf(nxJson: NxJsonConfiguration | null | undefined): PexPluginOptions {
  const entry = nxJson?.plugins?.find(isPexEntry);
  return (entry && typeof entry !== 'string' ? (entry.options as PexPluginOptions) : undefined) ?? {};
}

const INDEX_KEYS = ['indexUrl', 'extraIndexUrls', 'findLinks', 'noIndex'] as const;

/** Only the pip index options of a set of options (a plugin entry's or a target's). */
export function indexOptionsOf(options: IndexOptions): IndexOptions {
  return Object.fromEntries(INDEX_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
}

/** The archive a tool's pex target writes: its configured outputPath, else the plugin's default. */
export function archivePathOf(project: { targets?: Record<string, TargetConfiguration> }, options: PexPluginOptions): string {
  const o = normalizeOptions(options);
  const targets = project.targets ?? {};
  const named = targets[o.pexTargetName];
  const pexTarget = named?.executor === 'pex:pex' ? named : Object.values(targets).find((t) => t.executor === 'pex:pex');
  return (pexTarget?.options?.outputPath as string | undefined) ?? defaultArchivePath(o.distDir);
}

export const defaultArchivePath = (distDir: string) => `${distDir}/{projectRoot}/{projectName}.pex`;
