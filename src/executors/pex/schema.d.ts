export interface PexExecutorSchema {
  requirements: string;
  lockFile: string;
  outputPath: string;
  script?: string;
  entryPoint?: string;
  sources: string;
  python?: string;
  platforms?: string[] | string;
  compile?: boolean;
}
