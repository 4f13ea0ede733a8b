export interface ToolGeneratorSchema {
  name: string;
  requirements?: string | string[];
  script?: string;
  entryPoint?: string;
  directory?: string;
  /** A number when Nx's command line parsed a bare version (`--python 3.11`). */
  python?: string | number;
  platforms?: string | string[];
  tags?: string;
  skipFormat?: boolean;
}
