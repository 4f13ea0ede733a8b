export * from './wheelMetadata';
export * from './wheelName';
export * from './wheelFile';
export * from './entryPoint';
