export const name = 'pex';
export { createDependencies, createNodes, createNodesV2 } from './plugins/plugin';
