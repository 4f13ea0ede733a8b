export * from './pip';
