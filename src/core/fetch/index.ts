export * from './sdistBuild';
export * from './wheelCache';
