export * from './lockfile';
export * from './changes';
