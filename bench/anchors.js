'use strict';
// Where the optional reference tools live: `../shared` beside the repository (the main checkout's when
// this is a git worktree). Absent on a fresh clone, so every user of it must do without.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PEX_VERSION = '2.100.7';

/** The main checkout's root: a worktree's own root has no ../shared beside it. */
function mainCheckout(repoRoot) {
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return path.dirname(common);
  } catch {
    return undefined;
  }
}

/** The first `../shared` that exists, or undefined. */
function sharedDir(repoRoot) {
  const roots = [repoRoot, mainCheckout(repoRoot)].filter(Boolean);
  return roots.map((root) => path.resolve(root, '..', 'shared')).find((dir) => fs.existsSync(dir));
}

/** The real pex's folder (bin/pex, bin/pex3, bin/pex-tools), or undefined with the path it was looked for at. */
function realPex(repoRoot) {
  const shared = sharedDir(repoRoot);
  const expected = path.resolve(shared ?? path.resolve(repoRoot, '..', 'shared'), 'anchors', `pex-${PEX_VERSION}`);
  return { dir: fs.existsSync(path.join(expected, 'bin', 'pex-tools')) ? expected : undefined, expected, version: PEX_VERSION };
}

module.exports = { sharedDir, realPex };
