export interface ToolGeneratorSchema {
  name: string;
  requirements?: string | string[];
  script?: string;
  entryPoint?: string;
  directory?: string;
  python?: string;
  tags?: string;
  skipFormat?: boolean;
}
