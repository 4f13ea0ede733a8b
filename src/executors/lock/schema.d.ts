export interface LockExecutorSchema {
  requirements: string;
  lockFile: string;
  python?: string;
  interpreterConstraints?: string[];
  platforms?: string | string[];
  indexUrl?: string;
  extraIndexUrls?: string[];
  findLinks?: string[];
  noIndex?: boolean;
  upgrade?: boolean;
  upgradePackage?: string[];
}
