import * as path from 'node:path';

/** The plugin's own version, recorded in every archive and part of every cache key. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const pluginVersion: string = require(path.join(__dirname, '..', 'package.json')).version;
