export type { BytecodeFile, BytecodeTarget, CompileBytecodeOptions } from './compile';
export { compileBytecode } from './compile';
