export type { BytecodeFile, BytecodeTarget, CompileBytecodeOptions, RuntimeBytecode } from './compile';
export { compileBytecode } from './compile';
