export * from './pip';
export * from './resolveEnvironments';
