export interface VenvExecutorSchema {
  archive?: string;
  outputPath: string;
  binPath?: 'prepend' | 'append' | 'false';
  compile?: boolean;
  prompt?: string;
}
