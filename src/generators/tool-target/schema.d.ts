export interface ToolTargetGeneratorSchema {
  project: string;
  tool: string;
  target: string;
  args?: string;
  cache?: boolean;
}
