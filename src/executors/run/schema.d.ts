export interface RunExecutorSchema {
  tool?: string;
  archive?: string;
  script?: string;
  args?: string[];
  cwd?: string;
  /** Arguments after `--` on the nx command line. */
  __unparsed__?: string[];
}
