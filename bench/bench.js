#!/usr/bin/env node
// npm run bench: locks and builds one tool archive with the built plugin's core (no Nx workspace),
// then times, side by side in one run, the ways to start the tool against the venv's own script
// (the limit, as in the PEX --venv blog), plus the build, the sizes and the project-graph scale check.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BenchError, median, minimum, runChecked, runRoundRobin, timeAsync } = require('./timing');
const { buildPexArchives, ourCases, pexCases } = require('./cases');
const { timeGraph } = require('./graph');
const { formatGraph, formatSummary, formatTable, writeResults } = require('./report');

const repoRoot = path.resolve(__dirname, '..');
const WARMUP_ROUNDS = 2;
const EXAMPLE = { requirements: ['hellotool==1.0.0'], script: 'hello', args: ['--version'] };
const USAGE =
  'usage: node bench/bench.js [--find-links DIR] [--requirements REQ ...] [--script NAME] [--args "ARGS"] ' +
  '[--runs N] [--pex-cmd CMD] [--out DIR] [--graph]';

function parseCli(argv) {
  const opts = { requirements: [], runs: 15, out: path.join(__dirname, 'results'), graphOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    // Values are taken verbatim, even when they start with a dash: `--args --help`.
    const value = () => {
      if (i + 1 >= argv.length) throw new BenchError(`${flag} needs a value; ${USAGE}`);
      return argv[++i];
    };
    switch (flag) {
      case '--find-links':
        opts.findLinks = path.resolve(value());
        break;
      case '--requirements':
        opts.requirements.push(value());
        // Several requirements may follow one flag; a requirement never starts with a dash.
        while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) opts.requirements.push(argv[++i]);
        break;
      case '--script':
        opts.script = value();
        break;
      case '--args':
        opts.args = value().split(/\s+/).filter(Boolean);
        break;
      case '--runs':
        opts.runs = Number(value());
        if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new BenchError(`--runs needs a whole number >= 1`);
        break;
      case '--pex-cmd':
        opts.pexCmd = path.resolve(value());
        break;
      case '--out':
        opts.out = path.resolve(value());
        break;
      case '--graph':
        opts.graphOnly = true;
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new BenchError(`unknown argument ${flag}; ${USAGE}`);
    }
  }
  if (opts.findLinks && (!opts.requirements.length || !opts.script)) {
    throw new BenchError('with --find-links, also give --requirements and --script (the defaults are for the built-in example)');
  }
  if (!opts.requirements.length) opts.requirements = EXAMPLE.requirements;
  opts.script ??= EXAMPLE.script;
  opts.args ??= EXAMPLE.args;
  return opts;
}

/** The bench measures what users get: the compiled plugin in dist/, built here when missing. */
function loadBuiltPlugin() {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'core', 'tool.js'))) {
    progress('dist/ is missing: building the plugin (node scripts/build.js)');
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.js')], { stdio: 'inherit' });
  }
  return {
    tool: require('../dist/core/workflows'),
    pluginVersion: require('../dist/version').pluginVersion,
    plugin: require('../dist/plugins/plugin'),
  };
}

const progress = (message) => process.stderr.write(`bench: ${message}\n`);

/**
 * pip must see only the given wheels: this machine's pip.conf and PIP_* variables add indexes and
 * constraints. Children inherit process.env, so isolating it here covers the core's pip calls too.
 * PEX variables of the caller (PEX_VERBOSE, PEX_PYTHON…) would change the paths being measured.
 */
function isolateEnvironment({ findLinks, pexRoot, wheelCache }) {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('PIP_') || key === 'PEX' || key.startsWith('PEX_')) delete process.env[key];
  }
  Object.assign(process.env, {
    PIP_CONFIG_FILE: '/dev/null',
    PIP_FIND_LINKS: findLinks,
    PIP_NO_INDEX: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PEX_ROOT: pexRoot,
    PEX_NX_WHEEL_CACHE: wheelCache,
  });
}

function buildFixtureWheels(outDir) {
  runChecked(['python3', path.join(repoRoot, 'test', 'fixtures', 'build_wheels.py'), outDir]);
}

/** Locks into a temp tool folder, builds once to fill the wheel cache, then times warm builds in-process. */
async function lockAndBuild(core, opts, dirs) {
  const files = {
    workspaceRoot: dirs.tmp,
    requirementsFile: path.join(dirs.tool, 'requirements.txt'),
    lockFile: path.join(dirs.tool, 'pex.lock.json'),
  };
  fs.mkdirSync(dirs.tool, { recursive: true });
  fs.writeFileSync(files.requirementsFile, `${opts.requirements.join('\n')}\n`);
  let lock;
  const lockMs = await timeAsync(async () => {
    lock = await core.tool.lockTool(files);
  });
  const buildOptions = {
    ...files,
    out: dirs.archive,
    script: opts.script,
    cacheDir: dirs.wheelCache,
    lockCommand: 'node bench/bench.js',
    pluginVersion: core.pluginVersion,
  };
  await core.tool.buildTool(buildOptions);
  const samplesMs = [];
  for (let i = 0; i < opts.runs; i++) samplesMs.push(await timeAsync(() => core.tool.buildTool(buildOptions)));
  const wheels = await core.tool.fetchLockedWheels(lock, { workspaceRoot: dirs.tmp, cacheDir: dirs.wheelCache });
  return {
    build: { lockMs, samplesMs, medianMs: median(samplesMs), minMs: minimum(samplesMs) },
    sizes: {
      archiveBytes: fs.statSync(dirs.archive).size,
      wheelBytes: wheels.reduce((sum, w) => sum + fs.statSync(w.path).size, 0),
      wheelCount: wheels.length,
    },
  };
}

function summarize(cases, samples) {
  const medians = Object.fromEntries(cases.map((c) => [c.id, median(samples[c.id])]));
  const base = medians[cases[0].id];
  return cases.map((c) => ({
    id: c.id,
    group: c.group,
    label: c.label,
    cmd: c.cmd,
    samplesMs: samples[c.id],
    medianMs: medians[c.id],
    minMs: minimum(samples[c.id]),
    ratioToVenvScript: medians[c.id] / base,
    ratioToPex: c.pexTwin && medians[c.pexTwin] ? medians[c.id] / medians[c.pexTwin] : undefined,
  }));
}

const PYTHON_VERSION = 'import platform; print(platform.python_implementation(), platform.python_version())';

function machineInfo(venvPython) {
  const cpus = os.cpus();
  return {
    node: process.version,
    python: runChecked([venvPython, '-c', PYTHON_VERSION]).stdout.trim(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model,
    // Other work on the machine widens the spread between min and median: keep it next to the numbers.
    loadAverage: os.loadavg(),
  };
}

async function benchmark(core, opts, tmp) {
  const dirs = {
    tmp,
    tool: path.join(tmp, 'tool'),
    // Named after the script: click-style tools print argv[0]'s name, which must match the venv script's.
    archive: path.join(tmp, 'nx', opts.script),
    venv: path.join(tmp, 'venv'),
    materialized: path.join(tmp, 'materialized'),
    cold: path.join(tmp, 'cold'),
    pexRoot: path.join(tmp, 'pex-root'),
    wheelCache: path.join(tmp, 'wheel-cache'),
  };
  const fixtureWheels = opts.findLinks ? undefined : path.join(tmp, 'wheels');
  opts.findLinks ??= fixtureWheels;
  // Before anything runs pip, the fixture build included.
  isolateEnvironment({ findLinks: opts.findLinks, pexRoot: dirs.pexRoot, wheelCache: dirs.wheelCache });
  if (fixtureWheels) buildFixtureWheels(fixtureWheels);

  progress(`locking and building ${opts.requirements.join(' ')} (${opts.runs} timed builds)`);
  const { build, sizes } = await lockAndBuild(core, opts, dirs);
  runChecked([dirs.archive, 'venv', dirs.venv], { env: { ...process.env, PEX_TOOLS: '1' } });
  const venvPython = path.join(dirs.venv, 'bin', 'python');
  const pexBuilds = opts.pexCmd ? buildPexArchives(opts, dirs) : [];
  const cases = [...ourCases(opts, dirs), ...pexCases(pexBuilds, opts, dirs)];

  progress(`timing ${cases.length} cases: ${WARMUP_ROUNDS} warm-up + ${opts.runs} rounds`);
  const samples = runRoundRobin(cases, {
    rounds: opts.runs,
    warmup: WARMUP_ROUNDS,
    onRound: (round, warmup) =>
      progress(round < warmup ? `warm-up round ${round + 1}/${warmup} done` : `round ${round + 1 - warmup}/${opts.runs} done`),
  });
  return { rows: summarize(cases, samples), build, sizes, pexBuilds, machine: machineInfo(venvPython) };
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  const core = loadBuiltPlugin();
  if (opts.graphOnly) {
    console.log(formatGraph(await timeGraph(core.plugin, repoRoot)));
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-bench-'));
  let result;
  try {
    result = await benchmark(core, opts, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const graph = await timeGraph(core.plugin, repoRoot);
  const withPex = result.pexBuilds.length > 0;
  console.log(formatTable(result.rows, { withPex }));
  console.log();
  console.log(formatSummary({ ...result, graph }));

  const record = {
    timestamp: new Date().toISOString(),
    args: process.argv.slice(2),
    options: { ...opts, warmupRounds: WARMUP_ROUNDS },
    machine: result.machine,
    cases: result.rows,
    build: result.build,
    sizes: result.sizes,
    pexBuilds: result.pexBuilds.map(({ name, flags, buildMs, bytes }) => ({ name, flags, buildMs, bytes })),
    graph,
  };
  const title = `${opts.requirements.join(' ')}: ${opts.script} ${opts.args.join(' ')} (median of ${opts.runs}, ms)`;
  const written = writeResults(opts.out, record, result.rows, title);
  console.log(`\nwrote ${path.relative(process.cwd(), written.json)} and ${path.relative(process.cwd(), written.svg)}`);
}

main().catch((err) => {
  // Our own and the core's user-facing errors are one line; anything else is a bug and keeps its stack.
  if (err instanceof BenchError || err?.name === 'PexError') {
    console.error(`bench: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
