/** A wheel on disk with its verified sha256: a cached locked wheel, or one built from a locked sdist. */
export interface WheelFile {
  filename: string;
  path: string;
  sha256: string;
}
