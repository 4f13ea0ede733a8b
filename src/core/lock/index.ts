export * from './lockfile';
