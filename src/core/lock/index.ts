export * from './lockfile';
export * from './changes';
export * from './names';
export * from './archiveEnvironments';
export { evaluateMarker, packageMarker } from './markers';
export { parseLegacyJsonLock, toLockRelative } from './legacyJson';
export { archiveEnvironments } from './archiveEnvironments';
