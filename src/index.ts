export const name = 'pex';
export { createDependencies } from './plugins/plugin';
