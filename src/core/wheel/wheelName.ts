import { PexError } from '../common';

export interface WheelName {
  /** PEP 503 canonical project name. */
  name: string;
  version: string;
  build: string | null;
  /** Every `python-abi-platform` triple the compressed tag set stands for. */
  tags: string[];
}

/** PEP 503: lower case, runs of `-`, `_` and `.` become one `-`. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

const COMPONENT = /^[A-Za-z0-9_.!+]+$/;

/** PEP 427: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`. */
export function parseWheelName(filename: string): WheelName {
  const parts = filename.endsWith('.whl') ? filename.slice(0, -4).split('-') : [];
  if ((parts.length !== 5 && parts.length !== 6) || !parts.every((p) => COMPONENT.test(p))) {
    throw new PexError('not a wheel file name (name-version[-build]-python-abi-platform.whl)', filename, 'rename it or rebuild the wheel');
  }
  const [name, version] = parts;
  const build = parts.length === 6 ? parts[2] : null;
  if (build !== null && !/^\d/.test(build)) {
    throw new PexError(`the build tag '${build}' does not start with a digit`, filename, 'rename it or rebuild the wheel');
  }
  const [pythons, abis, platforms] = parts.slice(-3).map((t) => t.split('.'));
  const tags = pythons.flatMap((py) => abis.flatMap((abi) => platforms.map((plat) => `${py}-${abi}-${plat}`)));
  return { name: canonicalName(name), version, build, tags };
}

/** An sdist: `{name}-{version}.tar.gz` (or a legacy `.zip`); null for any other file name. */
export function parseSdistName(filename: string): { name: string; version: string } | null {
  const stem = /^(.+)\.(tar\.gz|zip)$/.exec(filename)?.[1];
  const dash = stem ? stem.lastIndexOf('-') : -1;
  if (!stem || dash <= 0 || !/^[A-Za-z0-9_.!+-]+$/.test(stem)) return null;
  return { name: canonicalName(stem.slice(0, dash)), version: stem.slice(dash + 1) };
}
