import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PexError } from '../common';
import { wheelEntries } from './wheelMetadata';
import { WheelFile } from './wheelFile';

// A module file as a wheel or a source dir holds it: `a/b.py`, `a/b/__init__.py`,
// `a/b.cpython-311-x86_64-linux-gnu.so`, `a/b/` (namespace).
const MODULE_FILE = /^(.+?)(?:\/__init__\.py|\.py|\.[^/]*\.(?:so|pyd)|\.(?:so|pyd))?$/;

/** Dotted names of the modules and packages in a list of site-packages-relative paths. */
function modulesOf(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    // What lands in site-packages: purelib/platlib of .data, and the wheel's root (not dist-info, not other .data dirs).
    const inSite = file.replace(/^[^/]+\.data\/(?:purelib|platlib)\//, '');
    if (/^[^/]+\.(?:dist-info|data)\//.test(inSite)) continue;
    const parts = inSite.split('/');
    // Every directory on the way is a (possibly namespace) package.
    for (let i = 1; i < parts.length; i++) names.add(parts.slice(0, i).join('.'));
    const match = MODULE_FILE.exec(inSite);
    if (match && /\.(py|so|pyd)$/.test(inSite)) names.add(match[1].split('/').join('.'));
  }
  return names;
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? [`${prefix}${entry}/`, ...filesUnder(full, `${prefix}${entry}/`)] : [`${prefix}${entry}`];
  });
}

/**
 * Fails at build time, in one line, when an entry point's module is in neither the locked
 * wheels nor the tool's sources (the function itself is only known by importing it).
 */
export function assertEntryPointModule(entryPoint: string, wheels: WheelFile[], sourcesDir: string | undefined, where: string): void {
  const module = entryPoint.split(':')[0];
  const files = wheels.flatMap((w) => wheelEntries(w.path));
  if (sourcesDir && existsSync(sourcesDir)) files.push(...filesUnder(sourcesDir));
  const modules = modulesOf(files);
  if (modules.has(module)) return;
  const top = [...modules].filter((m) => !m.includes('.')).sort();
  const shown = top.length > 12 ? `${top.slice(0, 12).join(', ')}, …` : top.join(', ') || '(none)';
  throw new PexError(
    `entry point '${entryPoint}' names module '${module}' that neither the locked wheels nor the tool's sources ` +
      `provide (top-level modules: ${shown})`,
    where,
    'fix the entry point, or add the distribution that provides it to requirements.txt',
  );
}
