'use strict';
// The timed cases of one tool: our archive's ways to start it, our lock and build, reference rows,
// and (with --pex-cmd) the same cases for pex's own --venv archive built from the same wheels.
// A case is { id, group, label, cmd, env?, checkStdout?, before?, after?, rounds?, pexTwin?, ratioTo? }; see
// timing.runRoundRobin for how they run. `pexTwin` names the pex case a row is compared with, `ratioTo`
// another of our cases (the multi-environment lock against the single-environment one).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { runChecked } = require('./timing');

const CORE_STEP = path.join(__dirname, 'core-step.js');

/** The plugin's name for this machine's platform (the bench's single-environment lock). */
function hostPlatform() {
  const names = {
    'linux-x64': 'linux_x86_64',
    'linux-arm64': 'linux_aarch64',
    'darwin-arm64': 'macos_arm64',
    'darwin-x64': 'macos_x86_64',
  };
  const name = names[`${process.platform}-${process.arch}`];
  if (!name) throw new Error(`bench: no lock platform for ${process.platform}-${process.arch}`);
  return name;
}

function pythonMinor(python) {
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: ${python} did not start: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/**
 * A case run with a new, empty PEX_ROOT each time. With `handOver`, the root is passed, in
 * handOver.root, to the case that follows it in the round (the second tool's cold run).
 *
 * Used roots are left in place until the bench ends: on ext4 without a journal (this VM's root file
 * system) every file created in a block group where files were deleted in the last seconds to minutes
 * scans past those inodes (the kernel's `recently_deleted` check), so deleting a PEX_ROOT between runs
 * would make the next run's file creations up to 50x slower, whichever tool it is.
 */
function freshRootCase(fields, coldBase, handOver) {
  let runs = 0;
  let root;
  return {
    ...fields,
    before() {
      root = path.join(coldBase, `${fields.id}-${runs++}`);
      fs.mkdirSync(root, { recursive: true });
      return { PEX_ROOT: root };
    },
    after() {
      if (handOver) handOver.root = root;
    },
  };
}

/** A case that runs the tool: it must print what the venv script (the first case) prints. */
const toolCase = (id, group, label, cmd, env) => ({ id, group, label, cmd, env, checkStdout: true });

/**
 * `PEX_TOOLS=1 <archive> venv DEST`, with the archive's PEX_ROOT already warm, into a new DEST each
 * run (`<destBase>-<n>`): replacing the last one with --force would delete it first, which slows the
 * next run's file creations as a deleted PEX_ROOT does (see freshRootCase).
 */
function materializeCase(id, group, label, archive, destBase, pexRoot) {
  let runs = 0;
  return {
    id,
    group,
    label,
    cmd: [archive, 'venv', '<DEST>'],
    env: { PEX_TOOLS: '1', PEX_ROOT: pexRoot },
    before() {
      this.cmd = [archive, 'venv', `${destBase}-${runs++}`];
      return {};
    },
  };
}

/** What every row pays anyway, whatever the archive does: interpreter starts. */
const referenceCase = (id, label, cmd) => ({ id, group: 'reference', label: `reference: ${label}`, cmd });

/**
 * The second tool's cold run in the PEX_ROOT the first tool's cold run (the case just before) left:
 * that first run is the cold case's own timed sample, so each round pays for one first run, not two.
 */
function secondToolCase(id, group, label, tool, second, handOver) {
  return {
    id,
    group,
    label,
    cmd: [second, ...tool.second.args],
    before() {
      const root = handOver.root;
      handOver.root = undefined;
      if (!root) throw new Error(`${id} must follow the cold run of the first tool`);
      return { PEX_ROOT: root };
    },
  };
}

/** The first case is the ratio base and the stdout every tool-running case must reproduce. */
function ourCases(tool, dirs, { python, pluginVersion, buildRounds }) {
  const run = `${tool.script} ${tool.args.join(' ')}`;
  const archiveRun = [dirs.archive, ...tool.args];
  const venvBin = path.join(dirs.venv, 'bin');
  const warm = { PEX_ROOT: dirs.pexRoot };
  const cases = [
    toolCase('venv-script', 'limit', `venv script (the limit): venv/bin/${run}`, [path.join(venvBin, tool.script), ...tool.args]),
    { ...toolCase('warm', 'ours', `warm run: ./${run}`, archiveRun, warm), pexTwin: 'pex-warm' },
    toolCase('warm-python', 'ours', `warm run via python3 (PATH python3): python3 ${run}`, ['python3', ...archiveRun], warm),
  ];
  const handOver = {};
  const cold = toolCase('cold', 'ours', `cold run (empty PEX_ROOT): ./${run}`, archiveRun);
  cases.push({ ...freshRootCase(cold, dirs.cold, tool.second && handOver), pexTwin: 'pex-cold' });
  if (tool.second) {
    const label = `second tool, cold after the first ran: ./${tool.second.script} ${tool.second.args.join(' ')}`;
    cases.push({ ...secondToolCase('second', 'ours', label, tool, dirs.secondArchive, handOver), pexTwin: 'pex-second' });
  }
  cases.push({
    ...materializeCase('venv', 'ours', `PEX_TOOLS=1 ./${tool.script} venv DIR`, dirs.archive, dirs.materialized, dirs.pexRoot),
    pexTwin: 'pex-venv',
  });
  const build = {
    workspaceRoot: dirs.base,
    requirementsFile: path.join(dirs.tool, 'requirements.txt'),
    lockFile: path.join(dirs.tool, 'pylock.toml'),
    out: path.join(dirs.base, 'build-out', tool.script),
    script: tool.script,
    cacheDir: dirs.wheelCache,
    lockCommand: 'node bench/bench.js',
    pluginVersion,
  };
  // One environment, the bench interpreter's (as pex3 lock create makes), against every default
  // platform x CPython 3.9-3.13 in one lock.
  const lock = {
    workspaceRoot: dirs.base,
    requirementsFile: path.join(dirs.tool, 'requirements.txt'),
    lockFile: path.join(dirs.base, 'lock-out', 'pylock.toml'),
    python,
    platforms: [hostPlatform()],
    interpreterConstraints: [`==${pythonMinor(python)}.*`],
  };
  const lockAll = {
    ...lock,
    lockFile: path.join(dirs.base, 'lock-out-all', 'pylock.toml'),
    platforms: ['linux_x86_64', 'linux_aarch64', 'macos_arm64', 'macos_x86_64'],
    interpreterConstraints: ['>=3.9,<3.14'],
  };
  cases.push(
    {
      id: 'build',
      group: 'ours',
      label: 'build: node core buildTool, warm wheel cache',
      cmd: [process.execPath, CORE_STEP, 'build', JSON.stringify(build)],
      rounds: buildRounds,
      pexTwin: 'pex-build',
    },
    {
      id: 'lock',
      group: 'ours',
      label: 'lock: node core lockTool (pip install --dry-run --report)',
      cmd: [process.execPath, CORE_STEP, 'lock', JSON.stringify(lock)],
      rounds: buildRounds,
      pexTwin: 'pex-lock',
    },
  );
  // Only where the wheel folder serves every environment (ansible's native wheels are cp311 linux_x86_64 only).
  if (tool.lockEnvironments) {
    cases.push({
      id: 'lock-environments',
      group: 'ours',
      label: 'lock, 20 environments: node core lockTool, 4 platforms x CPython 3.9-3.13 (one pip process)',
      cmd: [process.execPath, CORE_STEP, 'lock', JSON.stringify(lockAll)],
      rounds: buildRounds,
      // The lock of every default environment must take at most 3x the single-environment lock.
      ratioTo: 'lock',
    });
  }
  cases.push(
    // python3 is a pyenv shim here (a shell script that then execs the interpreter): its own cost.
    referenceCase('python3-pass', 'python3 -c pass (PATH python3)', ['python3', '-c', 'pass']),
    // The floor under every row: the venv's interpreter (with the venv scripts' -I) starting and doing nothing.
    referenceCase('python-pass', 'venv/bin/python -I -c pass', [path.join(venvBin, 'python'), '-I', '-c', 'pass']),
  );
  fs.mkdirSync(path.dirname(lock.lockFile), { recursive: true });
  return cases;
}

/** pex's own command line for a --venv archive from the same wheels, with the real interpreter as its shebang. */
function pexBuildCmd(opts, requirements, script, out) {
  return [
    opts.pexCmd,
    ...requirements,
    '--script',
    script,
    '--venv',
    '--no-pypi',
    '--find-links',
    opts.findLinks,
    '--python',
    opts.python,
    // pex's default shebang names python3.X, a pyenv shim here; ours bypasses shims, so pex gets the real one too.
    '--python-shebang',
    opts.python,
    '-o',
    out,
  ];
}

/** pex --venv archives of the tool (and its second tool); pex's build cache is warm when this returns. */
function buildPexArchives(tool, dirs, opts) {
  const env = { ...process.env, PEX_ROOT: dirs.pexBuildRoot, PYTHON: opts.python };
  const archive = path.join(dirs.base, 'pex', tool.script);
  runChecked(pexBuildCmd(opts, tool.requirements, tool.script, archive), { env });
  let second;
  if (tool.second) {
    second = path.join(dirs.base, 'pex2', tool.second.script);
    runChecked(pexBuildCmd(opts, tool.second.requirements, tool.second.script, second), { env });
  }
  // Warm pex's PEX_ROOT: its PEX_TOOLS venv and warm runs are timed as pex users see them, wheels installed.
  runChecked([archive, ...tool.args], { env: { ...process.env, PEX_ROOT: dirs.pexRoot } });
  return { archive, second, bytes: fs.statSync(archive).size };
}

function pexCases(tool, dirs, opts, built) {
  const run = `${tool.script} ${tool.args.join(' ')}`;
  const archiveRun = [built.archive, ...tool.args];
  const buildEnv = { PEX_ROOT: dirs.pexBuildRoot, PYTHON: opts.python };
  const handOver = {};
  const cold = toolCase('pex-cold', 'pex', `pex --venv, cold run (empty PEX_ROOT): ./${run}`, archiveRun);
  const cases = [freshRootCase(cold, dirs.cold, built.second && handOver)];
  if (built.second) {
    const label = `pex --venv, second tool cold after the first ran: ./${tool.second.script} ${tool.second.args.join(' ')}`;
    cases.push(secondToolCase('pex-second', 'pex', label, tool, built.second, handOver));
  }
  cases.push(
    toolCase('pex-warm', 'pex', `pex --venv, warm run: ./${run}`, archiveRun, { PEX_ROOT: dirs.pexRoot }),
    materializeCase(
      'pex-venv',
      'pex',
      `pex --venv: PEX_TOOLS=1 ./${tool.script} venv DIR (wheels installed in PEX_ROOT)`,
      built.archive,
      path.join(dirs.base, 'pex-materialized'),
      dirs.pexRoot,
    ),
  );
  const buildOut = path.join(dirs.base, 'pex-build-out', tool.script);
  fs.mkdirSync(path.dirname(buildOut), { recursive: true });
  cases.push({
    id: 'pex-build',
    group: 'pex',
    label: 'pex build: pex REQS --venv --no-pypi -f WHEELS (warm pex cache)',
    cmd: pexBuildCmd(opts, tool.requirements, tool.script, buildOut),
    env: buildEnv,
    rounds: opts.buildRounds,
  });
  const pex3 = path.join(path.dirname(opts.pexCmd), 'pex3');
  if (fs.existsSync(pex3)) {
    const lockOut = path.join(dirs.base, 'pex-lock-out', 'lock.json');
    fs.mkdirSync(path.dirname(lockOut), { recursive: true });
    cases.push({
      id: 'pex-lock',
      group: 'pex',
      label: 'pex lock: pex3 lock create --no-pypi -f WHEELS REQS',
      cmd: [pex3, 'lock', 'create', '--no-pypi', '--find-links', opts.findLinks, ...tool.requirements, '-o', lockOut],
      env: buildEnv,
      rounds: opts.buildRounds,
    });
  }
  return cases;
}

module.exports = { ourCases, buildPexArchives, pexCases };
