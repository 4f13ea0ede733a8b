#!/usr/bin/env node
// npm run lint: prettier and eslint over the TypeScript and JavaScript (and no line over
// prettier's width, which it does not enforce on strings), and ruff (its wasm
// build, so a fresh clone needs no Python tooling) over the Python of src/runtime and
// test/runtime: ruff's checks and its formatter, at 120 columns as the code is written.
//
//   npm run lint                      check; one line a finding, then a count; non-zero exit on any
//   npm run lint -- --fix             rewrite files: prettier, eslint's fixes, ruff's formatting
//   npm run lint -- [--fix] PATH...   only the files in these files or dirs
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const PYTHON_DIRS = ['src/runtime/', 'src/core/', 'test/runtime/'];
const IGNORED = /^(dist|node_modules|\.tmp|bench\/results|coverage)\//;
// E/W: pycodestyle, F: pyflakes, B: bugbear.
const RUFF = { 'line-length': 120, 'target-version': 'py38', lint: { select: ['E', 'F', 'W', 'B'] } };

/** Files git tracks or would track (not ignored), optionally only those under `only`. */
function repoFiles(only) {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  const files = listed.split('\n').filter((f) => f && !IGNORED.test(f) && fs.existsSync(path.join(root, f)));
  const prefixes = only.map((p) => path.relative(root, path.resolve(p)));
  return prefixes.length ? files.filter((f) => prefixes.some((p) => p === '' || f === p || f.startsWith(`${p}/`))) : files;
}

async function main() {
  const args = process.argv.slice(2);
  const fix = args.includes('--fix');
  const files = repoFiles(args.filter((a) => a !== '--fix'));
  const scripts = files.filter((f) => /\.(ts|js)$/.test(f));
  const python = files.filter((f) => f.endsWith('.py') && PYTHON_DIRS.some((d) => f.startsWith(d)));
  const findings = [];

  // eslint first: its fixes (e.g. dropping a disable comment) may leave work for prettier.
  const { ESLint } = require('eslint');
  const eslint = new ESLint({ cwd: root, fix });
  const results = scripts.length ? await eslint.lintFiles(scripts.map((f) => path.join(root, f))) : [];
  if (fix) await ESLint.outputFixes(results);
  for (const result of results) {
    for (const m of result.messages)
      findings.push(`${path.relative(root, result.filePath)}:${m.line}:${m.column}: ${m.message} (${m.ruleId ?? 'eslint'})`);
  }

  const prettier = require('prettier');
  for (const file of scripts) {
    const abs = path.join(root, file);
    const options = { ...(await prettier.resolveConfig(abs)), filepath: abs };
    const text = fs.readFileSync(abs, 'utf8');
    if (fix) {
      const formatted = await prettier.format(text, options);
      if (formatted !== text) fs.writeFileSync(abs, formatted);
    } else if (!(await prettier.check(text, options))) {
      findings.push(`${file}: not formatted (prettier)`);
    }
    // prettier does not split strings: what it leaves over the width is for a person to split.
    const width = options.printWidth ?? 80;
    (fix ? fs.readFileSync(abs, 'utf8') : text).split('\n').forEach((line, i) => {
      if (line.length > width) findings.push(`${file}:${i + 1}: line of ${line.length} characters, over ${width} (width)`);
    });
  }

  const { Workspace } = require('@astral-sh/ruff-wasm-nodejs');
  const ruff = new Workspace(RUFF);
  for (const file of python) {
    const abs = path.join(root, file);
    let text = fs.readFileSync(abs, 'utf8');
    const formatted = ruff.format(text);
    if (formatted !== text && fix) {
      fs.writeFileSync(abs, formatted);
      text = formatted;
    } else if (formatted !== text) {
      findings.push(`${file}: not formatted (ruff format)`);
    }
    for (const d of ruff.check(text)) findings.push(`${file}:${d.start_location.row}:${d.start_location.column}: ${d.message} (${d.code})`);
  }

  for (const finding of findings) console.log(finding);
  console.log(`lint: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${scripts.length + python.length} files`);
  process.exit(findings.length ? 1 : 0);
}

main().catch((err) => {
  console.error(`lint: ${err instanceof Error ? err.message : err}`);
  process.exit(2);
});
