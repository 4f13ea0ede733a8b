#!/usr/bin/env node
// npm run bench: locks and builds tool archives with the built plugin's core (no Nx workspace), then
// times, side by side in one interleaved run per tool, the ways to start each tool against the venv's
// own script (the limit, as in the PEX --venv blog), our lock and build, and with --pex-cmd the same
// cases for the real pex's --venv archive built from the same wheels; plus the project-graph scale check.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BenchError, median, minimum, runChecked, runRoundRobin } = require('./timing');
const { buildPexArchives, ourCases, pexCases } = require('./cases');
const { timeGraph } = require('./graph');
const { PRESETS } = require('./presets');
const { sharedDir } = require('./anchors');
const { formatGraph, formatSummary, formatTables, writeResults } = require('./report');

const repoRoot = path.resolve(__dirname, '..');
const WARMUP_ROUNDS = 1;
const USAGE =
  'usage: node bench/bench.js [--preset example|black|ansible ...] [--find-links DIR] [--requirements REQ ...] ' +
  '[--script NAME] [--args "ARGS"] [--second REQ ...] [--second-script NAME] [--second-args "ARGS"] ' +
  '[--runs N] [--build-runs N] [--pex-cmd CMD] [--python PATH] [--out DIR] [--graph]';

/** A path; `../shared/…` that is missing here (a git worktree) is looked up in the main checkout's ../shared. */
function resolveShared(given) {
  const resolved = path.resolve(given);
  const parts = path.normalize(given).split(path.sep);
  const shared = sharedDir(repoRoot);
  if (fs.existsSync(resolved) || parts[0] !== '..' || parts[1] !== 'shared' || !shared) return resolved;
  return path.join(shared, ...parts.slice(2));
}

function parseCli(argv) {
  const opts = { presets: [], custom: {}, out: path.join(__dirname, 'results'), graphOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    // Values are taken verbatim, even when they start with a dash: `--args --help`.
    const value = () => {
      if (i + 1 >= argv.length) throw new BenchError(`${flag} needs a value; ${USAGE}`);
      return argv[++i];
    };
    // Several requirements may follow one flag; a requirement never starts with a dash.
    const list = () => {
      const values = [value()];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) values.push(argv[++i]);
      return values;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new BenchError(`${flag} needs a whole number >= 1`);
      return n;
    };
    switch (flag) {
      case '--preset': {
        const name = value();
        if (!PRESETS[name]) throw new BenchError(`unknown preset ${name}: choose one of ${Object.keys(PRESETS).join(', ')}`);
        opts.presets.push(name);
        break;
      }
      case '--find-links':
        opts.findLinks = resolveShared(value());
        break;
      case '--requirements':
        opts.custom.requirements = [...(opts.custom.requirements ?? []), ...list()];
        break;
      case '--script':
        opts.custom.script = value();
        break;
      case '--args':
        opts.custom.args = value().split(/\s+/).filter(Boolean);
        break;
      case '--second':
        opts.custom.secondRequirements = [...(opts.custom.secondRequirements ?? []), ...list()];
        break;
      case '--second-script':
        opts.custom.secondScript = value();
        break;
      case '--second-args':
        opts.custom.secondArgs = value().split(/\s+/).filter(Boolean);
        break;
      case '--runs':
        opts.runs = count();
        break;
      case '--build-runs':
        opts.buildRounds = count();
        break;
      case '--pex-cmd':
        opts.pexCmd = resolveShared(value());
        if (!fs.existsSync(opts.pexCmd)) throw new BenchError(`--pex-cmd ${opts.pexCmd} does not exist: give the path of pex's bin/pex`);
        break;
      case '--python':
        opts.python = path.resolve(value());
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
  opts.tools = toolsToRun(opts);
  // Rounds of pex's cold runs take seconds each: fewer by default keeps a run with pex near 10 minutes.
  opts.runs ??= opts.pexCmd ? 5 : 15;
  opts.buildRounds ??= Math.min(opts.runs, 3);
  return opts;
}

/** The tools to time: the presets named, plus the one given by --requirements; by default the example (or, with pex, black and ansible). */
function toolsToRun(opts) {
  const { custom } = opts;
  const tools = [];
  if (custom.requirements) {
    if (!opts.findLinks || !custom.script) {
      throw new BenchError('with --requirements, also give --find-links and --script (a wheel folder and the console script to run)');
    }
    const second = custom.secondRequirements && {
      requirements: custom.secondRequirements,
      script: custom.secondScript ?? custom.script,
      args: custom.secondArgs ?? custom.args ?? [],
    };
    tools.push({ name: custom.script, requirements: custom.requirements, script: custom.script, args: custom.args ?? [], second });
  } else if (custom.script || custom.secondRequirements) {
    throw new BenchError('--script and --second describe a tool given by --requirements: give --requirements too, or use --preset');
  }
  let presets = opts.presets;
  if (!presets.length && !tools.length) presets = opts.pexCmd ? ['black', 'ansible'] : ['example'];
  tools.unshift(...presets.map((name) => ({ name, ...PRESETS[name] })));
  const needsWheelhouse = tools.some((t) => !t.fixtures) && !opts.findLinks;
  if (needsWheelhouse) {
    const shared = sharedDir(repoRoot);
    const wheelhouse = shared && path.join(shared, 'wheelhouse');
    if (!wheelhouse || !fs.existsSync(wheelhouse)) {
      throw new BenchError(`the presets ${presets.join(', ')} need a wheel folder: give --find-links DIR (../shared/wheelhouse is absent)`);
    }
    opts.findLinks = wheelhouse;
  }
  return tools;
}

/** The bench measures what users get: the compiled plugin in dist/, built here when missing. */
function loadBuiltPlugin() {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'core', 'workflows.js'))) {
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
function isolateEnvironment({ findLinks, standIns, wheelCache }) {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('PIP_') || key === 'PEX' || key.startsWith('PEX_')) delete process.env[key];
  }
  Object.assign(process.env, {
    PIP_CONFIG_FILE: '/dev/null',
    // pip splits it at whitespace.
    PIP_FIND_LINKS: [findLinks, standIns].filter(Boolean).join(' '),
    PIP_NO_INDEX: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PEX_NX_WHEEL_CACHE: wheelCache,
  });
}

const STAND_IN = `import json, os, sys, zipfile
out, wheels = sys.argv[1], json.loads(sys.argv[2])
os.makedirs(out, exist_ok=True)
for w in wheels:
    dist = w["name"].replace("-", "_")
    info = "%s-%s.dist-info" % (dist, w["version"])
    files = {
        dist + "/__init__.py": "",
        info + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (w["name"], w["version"]),
        info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: pex-nx-bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        info + "/RECORD": "",
    }
    with zipfile.ZipFile(os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, w["version"])), "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
`;

/** Empty pure wheels for the stand-ins (see presets.js): enough for pip to resolve with them. */
function writeStandIns(dir, wheels) {
  runChecked(['python3', '-c', STAND_IN, dir, JSON.stringify(wheels)]);
}

/** The interpreter behind PATH's python3, not a pyenv shim: pex and the locks run on it. */
function realPython() {
  return runChecked(['python3', '-c', 'import sys; print(sys.executable)']).stdout.trim();
}

/** Locks into a temp tool folder and builds the archive (which fills the wheel cache). */
async function lockAndBuild(core, { requirements, script, folder, out }, dirs, python) {
  const files = {
    workspaceRoot: dirs.base,
    requirementsFile: path.join(folder, 'requirements.txt'),
    lockFile: path.join(folder, 'pylock.toml'),
  };
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(files.requirementsFile, `${requirements.join('\n')}\n`);
  // lockTool reports what it wrote; the bench needs the lock itself.
  const { lock } = await core.tool.lockTool({ ...files, python });
  await core.tool.buildTool({
    ...files,
    out,
    script,
    cacheDir: dirs.wheelCache,
    lockCommand: 'node bench/bench.js',
    pluginVersion: core.pluginVersion,
  });
  return lock;
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
    pexTwin: c.pexTwin,
    ratioToPex: c.pexTwin && medians[c.pexTwin] ? medians[c.id] / medians[c.pexTwin] : undefined,
    ratioTo: c.ratioTo,
    ratioToCase: c.ratioTo && medians[c.ratioTo] ? medians[c.id] / medians[c.ratioTo] : undefined,
    // The two cases run back to back in each round: a round's ratio is less moved by load that changes between rounds.
    pairedRatioToCase: c.ratioTo ? median(samples[c.id].map((ms, i) => ms / samples[c.ratioTo][i])) : undefined,
  }));
}

/** rm -rf that also removes store entries, whose dirs are read-only (only root deletes in them as they are). */
function removeTree(dir) {
  const open = (at) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const child = path.join(at, entry.name);
      fs.chmodSync(child, 0o700);
      open(child);
    }
  };
  try {
    open(dir);
  } catch {
    // Whatever cannot be opened, rmSync reports.
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

const PYTHON_VERSION = 'import platform; print(platform.python_implementation(), platform.python_version())';

function machineInfo(python) {
  const cpus = os.cpus();
  return {
    node: process.version,
    python: `${runChecked([python, '-c', PYTHON_VERSION]).stdout.trim()} (${python})`,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model,
    // Other work on the machine widens the spread between min and median: keep it next to the numbers.
    loadAverage: os.loadavg(),
  };
}

async function benchmarkTool(core, tool, opts, tmp) {
  const base = path.join(tmp, tool.name);
  const dirs = {
    base,
    tool: path.join(base, 'tool'),
    // Named after the script: click-style tools print argv[0]'s name, which must match the venv script's.
    archive: path.join(base, 'nx', tool.script),
    secondArchive: tool.second && path.join(base, 'nx2', tool.second.script),
    venv: path.join(base, 'venv'),
    materialized: path.join(base, 'materialized'),
    cold: path.join(base, 'cold'),
    pexRoot: path.join(base, 'pex-root'),
    pexBuildRoot: path.join(base, 'pex-build-root'),
    wheelCache: path.join(tmp, 'wheel-cache'),
  };
  progress(`${tool.name}: locking and building ${tool.requirements.join(' ')}`);
  const first = { requirements: tool.requirements, script: tool.script, folder: dirs.tool, out: dirs.archive };
  const lock = await lockAndBuild(core, first, dirs, opts.python);
  if (tool.second) {
    const second = { ...tool.second, folder: path.join(base, 'second'), out: dirs.secondArchive };
    await lockAndBuild(core, second, dirs, opts.python);
  }
  runChecked([dirs.archive, 'venv', dirs.venv], { env: { ...process.env, PEX_TOOLS: '1', PEX_ROOT: dirs.pexRoot } });
  const wheels = await core.tool.fetchLockedWheels(lock, { workspaceRoot: base, lockDir: dirs.tool, cacheDir: dirs.wheelCache });
  const caseOpts = { ...opts, pluginVersion: core.pluginVersion };
  const cases = ourCases(tool, dirs, caseOpts);
  let pexBytes;
  if (opts.pexCmd) {
    progress(`${tool.name}: building pex --venv archives with ${opts.pexCmd}`);
    const built = buildPexArchives(tool, dirs, opts);
    pexBytes = built.bytes;
    // pex's rows follow ours so that each pair runs back to back within a round.
    cases.push(...pexCases(tool, dirs, opts, built));
  }
  // Each lock and build ran once above: the timed ones find pip's and pex's caches warm.
  for (const c of cases.filter((c) => c.rounds)) runChecked(c.cmd, { env: { ...process.env, ...c.env } });

  progress(`${tool.name}: timing ${cases.length} cases: ${WARMUP_ROUNDS} warm-up + ${opts.runs} rounds`);
  const samples = runRoundRobin(cases, {
    rounds: opts.runs,
    warmup: WARMUP_ROUNDS,
    onRound: (round, warmup) =>
      progress(
        `${tool.name}: ${round < warmup ? `warm-up round ${round + 1}/${warmup}` : `round ${round + 1 - warmup}/${opts.runs}`} done`,
      ),
  });
  return {
    name: tool.name,
    requirements: tool.requirements,
    script: tool.script,
    args: tool.args,
    second: tool.second,
    rows: summarize(cases, samples),
    sizes: {
      archiveBytes: fs.statSync(dirs.archive).size,
      wheelBytes: wheels.reduce((sum, w) => sum + fs.statSync(w.path).size, 0),
      wheelCount: wheels.length,
      pexBytes,
    },
  };
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  const core = loadBuiltPlugin();
  if (opts.graphOnly) {
    console.log(formatGraph(await timeGraph(core.plugin, repoRoot)));
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-bench-'));
  const loadBefore = os.loadavg();
  const results = [];
  try {
    const fixtureWheels = opts.tools.some((t) => t.fixtures) ? path.join(tmp, 'wheels') : undefined;
    opts.findLinks ??= fixtureWheels;
    const standIns = opts.tools.flatMap((t) => t.standIns ?? []);
    const standInDir = standIns.length ? path.join(tmp, 'stand-ins') : undefined;
    // Before anything runs pip, the fixture build included.
    isolateEnvironment({ findLinks: opts.findLinks, standIns: standInDir, wheelCache: path.join(tmp, 'wheel-cache') });
    if (fixtureWheels) runChecked(['python3', path.join(repoRoot, 'test', 'fixtures', 'build_wheels.py'), fixtureWheels]);
    if (standInDir) writeStandIns(standInDir, standIns);
    opts.python ??= realPython();
    for (const tool of opts.tools) results.push(await benchmarkTool(core, tool, opts, tmp));
  } finally {
    removeTree(tmp);
  }
  const graph = await timeGraph(core.plugin, repoRoot);
  const machine = { ...machineInfo(opts.python), loadAverageBefore: loadBefore };
  console.log(formatTables(results, { withPex: Boolean(opts.pexCmd) }));
  console.log();
  console.log(formatSummary({ results, graph, machine, opts }));

  const record = {
    timestamp: new Date().toISOString(),
    args: process.argv.slice(2),
    options: {
      runs: opts.runs,
      buildRounds: opts.buildRounds,
      warmupRounds: WARMUP_ROUNDS,
      pexCmd: opts.pexCmd,
      findLinks: opts.findLinks,
    },
    machine,
    tools: results,
    graph,
  };
  const written = writeResults(opts.out, record);
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
