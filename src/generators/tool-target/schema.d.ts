export interface ToolTargetGeneratorSchema {
  project: string;
  tool: string;
  target: string;
  script?: string;
  args?: string;
  cache?: boolean;
  skipFormat?: boolean;
}
