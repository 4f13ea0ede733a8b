export * from './atomicWrite';
export * from './contract';
export * from './errors';
export * from './exec';
export * from './hashing';
export * from './urls';
export * from './report';
export * from './zip';
