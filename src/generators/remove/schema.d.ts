export interface RemoveGeneratorSchema {
  projectName: string;
  forceRemove?: boolean;
  skipFormat?: boolean;
}
