export interface ToolGeneratorSchema {
  name: string;
  requirements?: string | string[];
  script?: string;
  entryPoint?: string;
  directory?: string;
  python?: string;
  platforms?: string | string[];
  tags?: string;
  skipFormat?: boolean;
}
