import { PexError } from '../common';
import { parseConstraint } from '../python';
import { canonicalName, parseSdistName, parseWheelName } from '../wheel';
import type { LockedArtifact } from './lockfile';

/** What the lock readers share: one-line field errors, and the checks both formats make. */

export const SHA256 = /^[0-9a-f]{64}$/;
// A lock-relative path: no leading slash, no backslash, no empty or `.` segments.
export const RELATIVE_PATH = /^(?!\/)(?!.*\\)(?!(.*\/)?\.?(\/|$))[^\n]+$/;
export const HTTP_URL = /^https?:\/\/[^\s/]+\/[^\s]+$/i;

export class Malformed extends Error {}

export function field<T>(value: unknown, where: string, expected: string, ok: (v: unknown) => boolean): T {
  if (!ok(value)) throw new Malformed(`${where} must be ${expected}`);
  return value as T;
}

export const isString = (v: unknown) => typeof v === 'string' && v !== '';
export const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
export const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
export const isTableList = (v: unknown) => Array.isArray(v) && v.every(isObject);

export function checkConstraints(constraints: string[], where: string): void {
  constraints.forEach((c, i) => {
    try {
      parseConstraint(c);
    } catch (err) {
      throw new Malformed(`${where}[${i}]: ${err instanceof PexError ? err.what : (err as Error).message}`);
    }
  });
}

/** The file must be a wheel or an sdist of the artifact's project and version. */
export function checkFilename(artifact: LockedArtifact, at: string, key: string): void {
  let file: { name: string; version: string } | null;
  try {
    file = parseWheelName(artifact.filename);
  } catch {
    file = parseSdistName(artifact.filename);
  }
  if (!file) throw new Malformed(`${at}.${key} must be a wheel or sdist file name, not '${artifact.filename}'`);
  if (file.name !== canonicalName(artifact.name) || file.version !== artifact.version) {
    throw new Malformed(`${at}: filename ${artifact.filename} is not ${artifact.name} ${artifact.version}`);
  }
}
