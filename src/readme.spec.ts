import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The README's option tables are checked against the schemas Nx validates options with. */

const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

interface Schema {
  properties?: Record<string, { $default?: { $source?: string } }>;
}

function schemaOf(collection: string, name: string): Schema {
  const entries = JSON.parse(readFileSync(path.join(root, collection), 'utf8'));
  const entry = (entries.executors ?? entries.generators)[name];
  // The collections point at dist/; the schemas live beside the sources.
  return JSON.parse(readFileSync(path.join(root, entry.schema.replace('./dist/', 'src/')), 'utf8'));
}

/** The cells of the README table row that starts with `pex:<name>` (its first cell may add `<args>`). */
function row(name: string): string[] {
  const line = readme.split('\n').find((l) => new RegExp(`^\\| \`pex:${name}( <[a-z]+>)?\` \\|`).test(l));
  if (!line) throw new Error(`README.md has no table row for pex:${name}`);
  return line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, ''));
}

const names = (collection: string) =>
  Object.keys(JSON.parse(readFileSync(path.join(root, collection), 'utf8'))[collection.replace('.json', '')]);

describe('README option tables', () => {
  test.each(names('executors.json'))('pex:%s lists exactly its schema options', (name) => {
    const documented = [...row(name)[2].matchAll(/`([a-z]\w*)`/g)].map((m) => m[1]);
    const options = Object.keys(schemaOf('executors.json', name).properties ?? {}).filter((o) => !o.startsWith('__'));
    expect([...new Set(documented)].sort()).toEqual(options.sort());
  });

  test.each(names('generators.json').filter((name) => Object.keys(schemaOf('generators.json', name).properties ?? {}).length))(
    'pex:%s lists exactly its schema options',
    (name) => {
      const cells = row(name);
      const documented = [...cells[1].matchAll(/`--([A-Za-z]\w*)/g)].map((m) => m[1]);
      const properties = schemaOf('generators.json', name).properties ?? {};
      // The positional argument (`pex:tool <name>`) is the option filled from argv.
      const positional = Object.keys(properties).filter((o) => properties[o].$default?.$source === 'argv');
      if (/ <[a-z]+>`$/.test(cells[0])) documented.push(...positional);
      expect([...new Set(documented)].sort()).toEqual(Object.keys(properties).sort());
    },
  );
});
