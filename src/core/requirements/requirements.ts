import { createHash } from 'node:crypto';
import { PexError } from '../common';
import { normalizeMarker } from './markers';
import { stripCredentials } from '../common';
import { canonicalName } from '../wheel';

/** A requirements.txt: the requirements, each in one canonical spelling, and the index options for pip. */
export interface Requirements {
  requirements: string[];
  /** Whole option lines (`--index-url URL`, `--extra-index-url URL`, `--find-links PATH`, `--no-index`). */
  pipOptions: string[];
}

export interface Requirement {
  /** PEP 503 canonical. */
  name: string;
  extras: string[];
  /** e.g. `>=1.0,<2`; '' when any version or a URL. */
  specifier: string;
  /** `name @ url` requirements. */
  url: string | null;
  marker: string | null;
}

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;
const EXTRAS = /^\[\s*([^\]]*?)\s*\]\s*/;
const IDENTIFIER = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const PEP440 = new RegExp(
  // epoch, release and pre-release; then post-release, development release and local version
  /^v?(?:\d+!)?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?/.source +
    /(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/.source,
  'i',
);
const SPEC_CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*(\S+)$/;

// User text (a URL with a password) stays out of messages.
function requirementError(what: string, where: string, fix: string): PexError {
  return new PexError(stripCredentials(what), where, fix);
}

function badRequirement(s: string, why: string, where: string): PexError {
  return requirementError(
    `'${s.trim()}' is not a valid requirement (${why})`,
    where,
    "write it like 'black==23.1.0' or 'requests[socks]>=2.28'",
  );
}

function normalizeSpecifier(s: string, text: string, where: string): string {
  const inner = /^\(\s*(.*?)\s*\)$/.exec(text)?.[1] ?? text;
  return inner
    .split(',')
    .map((raw) => {
      const m = SPEC_CLAUSE.exec(raw.trim());
      if (!m) throw badRequirement(s, `'${raw.trim()}' is not an operator followed by a version`, where);
      const [, op, version] = m;
      const wildcard = (op === '==' || op === '!=') && version.endsWith('.*');
      if (op !== '===' && !PEP440.test(wildcard ? version.slice(0, -2) : version)) {
        throw badRequirement(s, `'${version}' is not a PEP 440 version`, where);
      }
      return `${op}${version}`;
    })
    .join(',');
}

/** Parses one PEP 508 requirement; throws a PexError saying what is wrong, and `where` the requirement came from. */
export function parseRequirement(s: string, where = 'the requirement'): Requirement {
  const name = NAME.exec(s);
  if (!name) throw badRequirement(s, 'it does not start with a project name', where);
  let rest = s.slice(name[0].length);

  let extras: string[] = [];
  const extrasMatch = EXTRAS.exec(rest);
  if (extrasMatch) {
    extras = extrasMatch[1] === '' ? [] : extrasMatch[1].split(',').map((e) => e.trim());
    const bad = extras.find((e) => !IDENTIFIER.test(e));
    if (bad !== undefined) throw badRequirement(s, `'${bad}' is not an extra name`, where);
    extras = [...new Set(extras.map(canonicalName))].sort();
    rest = rest.slice(extrasMatch[0].length);
  }

  let url: string | null = null;
  let specifier = '';
  let marker: string | null = null;
  if (rest.startsWith('@')) {
    // A URL ends at whitespace; a marker after it must be separated by whitespace (PEP 508).
    const m = /^@\s*(\S+)(?:\s+;\s*(.*))?\s*$/.exec(rest);
    if (!m || !/^[a-z][a-z0-9+.-]*:/i.test(m[1])) throw badRequirement(s, "'@' must be followed by a URL", where);
    url = m[1];
    marker = m[2] ?? null;
  } else {
    const semicolon = rest.indexOf(';');
    const spec = (semicolon < 0 ? rest : rest.slice(0, semicolon)).trim();
    if (spec) specifier = normalizeSpecifier(s, spec, where);
    if (semicolon >= 0) marker = rest.slice(semicolon + 1);
  }
  if (marker !== null) {
    try {
      marker = normalizeMarker(marker);
    } catch (err) {
      throw badRequirement(s, `the marker is invalid: ${(err as Error).message}`, where);
    }
  }
  return { name: canonicalName(name[1]), extras, specifier, url, marker };
}

/** One canonical spelling, so cosmetic edits do not make a lock stale. */
function formatRequirement(r: Requirement): string {
  const extras = r.extras.length ? `[${r.extras.join(',')}]` : '';
  const version = r.url ? ` @ ${r.url}` : r.specifier;
  const marker = r.marker ? `${r.url ? ' ' : ''}; ${r.marker}` : '';
  return `${r.name}${extras}${version}${marker}`;
}

const VALUE_OPTIONS: Record<string, string> = {
  '-i': '--index-url',
  '--index-url': '--index-url',
  '--extra-index-url': '--extra-index-url',
  '-f': '--find-links',
  '--find-links': '--find-links',
};

// What each refused option is, and the fix.
const UNSUPPORTED: Record<string, [string, string]> = {
  '-r': ['includes (-r) are not supported', 'list the requirements in this file'],
  '--requirement': ['includes (--requirement) are not supported', 'list the requirements in this file'],
  '-c': ['constraint files (-c) are not supported', 'pin versions in this file'],
  '--constraint': ['constraint files (--constraint) are not supported', 'pin versions in this file'],
  '-e': ['editable requirements (-e) cannot go into an archive', 'require a released version or a wheel'],
  '--editable': ['editable requirements (--editable) cannot go into an archive', 'require a released version or a wheel'],
};

function parseOption(line: string, where: string): string {
  const [first, ...rest] = line.split(/\s+/);
  const eq = first.indexOf('=');
  const option = eq > 0 ? first.slice(0, eq) : first;
  const args = eq > 0 ? [first.slice(eq + 1), ...rest] : rest;
  if (UNSUPPORTED[option]) throw requirementError(UNSUPPORTED[option][0], where, UNSUPPORTED[option][1]);
  if (option === '--no-index') {
    if (args.length) throw requirementError(`--no-index takes no value (got '${args.join(' ')}')`, where, 'remove the value');
    return option;
  }
  const canonical = VALUE_OPTIONS[option];
  if (!canonical) {
    throw requirementError(
      `unknown option '${option}'`,
      where,
      'only --index-url, --extra-index-url, --find-links and --no-index are supported here',
    );
  }
  if (args.length !== 1 || args[0] === '') {
    throw requirementError(`${option} takes exactly one value`, where, `write it as ${canonical} <value>`);
  }
  return `${canonical} ${args[0]}`;
}

/** Joins `\\`-continued lines; each logical line keeps the number of its first physical line. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let pending: { line: number; text: string } | null = null;
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const current: { line: number; text: string } = pending ?? { line: i + 1, text: '' };
    const continued = physical[i].endsWith('\\');
    current.text += continued ? physical[i].slice(0, -1) : physical[i];
    pending = continued ? current : null;
    if (!continued) out.push(current);
  }
  if (pending) out.push(pending);
  return out;
}

/** Parses a requirements.txt; every error names `file:line`. */
export function parseRequirements(text: string, file: string): Requirements {
  const requirements: string[] = [];
  const pipOptions: string[] = [];
  for (const { line, text: raw } of logicalLines(text)) {
    // pip's rule: '#' starts a comment at the line start or after whitespace (so URL fragments survive).
    const content = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!content) continue;
    const where = `${file}:${line}`;
    if (content.startsWith('-')) {
      pipOptions.push(parseOption(content, where));
      continue;
    }
    const option = /\s(--?[A-Za-z][\w-]*)/.exec(content.replace(/"[^"]*"|'[^']*'/g, '""'));
    if (option) {
      throw requirementError(`per-requirement options like '${option[1]}' are not supported (the lock records hashes)`, where, 'remove it');
    }
    requirements.push(formatRequirement(parseRequirement(content, where)));
  }
  return { requirements, pipOptions };
}

/** sha256 hex over the requirements (order-insensitive) and the options (in order), credentials stripped. */
export function requirementsHash(reqs: Requirements): string {
  const normalized = {
    requirements: reqs.requirements.map(stripCredentials).sort(),
    pipOptions: reqs.pipOptions.map(stripCredentials),
  };
  return createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
}
