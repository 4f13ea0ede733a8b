export * from './constraints';
export * from './interpreters';
export * from './environments';
