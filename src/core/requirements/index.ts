export * from './markers';
export * from './requirements';
