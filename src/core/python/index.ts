export * from './constraints';
export * from './interpreters';
