/** The lock file names, apart so that the Nx plugin's inference loads nothing else of the core. */

/** The lock a tool's lock target writes (PEP 751: `pylock.toml`). */
export const LOCK_FILE_NAME = 'pylock.toml';

/** The JSON lock of earlier versions of the plugin: read, and converted to pylock.toml by the next lock. */
export const LEGACY_LOCK_FILE_NAME = 'pex.lock.json';
