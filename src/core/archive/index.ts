export * from './archive';
export * from './pexInfo';
export * from './zipOffsets';
