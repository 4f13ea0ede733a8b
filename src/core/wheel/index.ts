export * from './wheelMetadata';
export * from './wheelName';
