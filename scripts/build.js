#!/usr/bin/env node
// Compiles src/ to dist/ and copies what tsc does not: executor/generator schemas, generator files, the Python runtime
// and the core's Python drivers.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

function copyMatching(dir, keep) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    const rel = path.relative(src, from);
    if (entry.isDirectory()) {
      if (entry.name === '__pycache__') continue;
      copyMatching(from, keep);
    } else if (keep(rel, entry.name)) {
      fs.mkdirSync(path.dirname(path.join(dist, rel)), { recursive: true });
      fs.copyFileSync(from, path.join(dist, rel));
    }
  }
}

copyMatching(
  src,
  (rel, name) =>
    name === 'schema.json' ||
    rel.split(path.sep).includes('files') ||
    (rel.startsWith(`runtime${path.sep}`) && !rel.includes(`${path.sep}tests${path.sep}`) && !name.endsWith('.pyc')) ||
    (rel.startsWith(`core${path.sep}`) && name.endsWith('.py')),
);
