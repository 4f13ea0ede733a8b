export * from './lockfile';
export * from './changes';
export * from './names';
export { parseLegacyJsonLock, toLockRelative } from './legacyJson';
export { archiveEnvironments } from './archiveEnvironments';
