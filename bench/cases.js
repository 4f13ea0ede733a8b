'use strict';
// The timed cases: our archive's ways to start the tool, reference rows, and (with --pex-cmd) pex's own
// archives built from the same wheels. A case is { id, group, label, cmd, env?, checkStdout?, before?,
// after?, pexTwin? }; see timing.runRoundRobin for how they run.
const fs = require('node:fs');
const path = require('node:path');
const { runChecked } = require('./timing');

/** A case run with a new, empty PEX_ROOT each time: the first run a user sees. */
function coldCase(fields, coldBase) {
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
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A case that runs the tool: it must print exactly what the venv script (the first case) prints. */
const toolCase = (id, group, label, cmd) => ({ id, group, label, cmd, checkStdout: true });

/** `PEX_TOOLS=1 <archive> venv --force DEST`: a venv materialized from an archive. */
const materializeCase = (id, group, label, archive, dest) => ({
  id,
  group,
  label,
  cmd: [archive, 'venv', '--force', dest],
  env: { PEX_TOOLS: '1' },
});

/** What every row pays anyway, whatever the archive does: interpreter starts. */
const referenceCase = (id, label, cmd) => ({ id, group: 'reference', label: `reference: ${label}`, cmd });

/** The first case is the ratio base and the stdout every tool-running case must reproduce. */
function ourCases(opts, dirs) {
  const run = `${opts.script} ${opts.args.join(' ')}`;
  const archiveRun = [dirs.archive, ...opts.args];
  const venvBin = path.join(dirs.venv, 'bin');
  const materializeLabel = `materialize: PEX_TOOLS=1 ./nx/${opts.script} venv --force DIR`;
  return [
    toolCase('venv-script', 'limit', `venv script (the limit): venv/bin/${run}`, [path.join(venvBin, opts.script), ...opts.args]),
    toolCase('warm', 'ours', `archive, warm: ./nx/${run}`, archiveRun),
    toolCase('warm-python', 'ours', `archive via python3, warm: python3 nx/${run}`, ['python3', ...archiveRun]),
    {
      ...coldCase(toolCase('cold', 'ours', `archive, cold (empty PEX_ROOT): ./nx/${run}`, archiveRun), dirs.cold),
      pexTwin: 'pex-venv-cold',
    },
    { ...materializeCase('venv', 'ours', materializeLabel, dirs.archive, dirs.materialized), pexTwin: 'pex-venv-venv' },
    // python3 is a pyenv shim here (a shell script that then execs the interpreter): its own cost.
    referenceCase('python3-pass', 'python3 -c pass (PATH python3)', ['python3', '-c', 'pass']),
    // The floor under every row: the venv's interpreter (with the venv scripts' -I) starting and doing nothing.
    referenceCase('python-pass', 'venv/bin/python -I -c pass', [path.join(venvBin, 'python'), '-I', '-c', 'pass']),
  ];
}

const PEX_KINDS = [
  { name: 'pex-venv', flags: ['--venv'], hasTools: true },
  { name: 'pex-venv-sh', flags: ['--venv', '--sh-boot'], hasTools: true },
  { name: 'pex-zipapp', flags: [], hasTools: false },
];

/** pex 2.x's own archives from the same wheels; the second build of each is timed (pex's cache warm). */
function buildPexArchives(opts, dirs) {
  return PEX_KINDS.map((kind) => {
    const archive = path.join(dirs.tmp, kind.name, opts.script);
    fs.mkdirSync(path.dirname(archive), { recursive: true });
    const cmd = [opts.pexCmd, ...opts.requirements, '--script', opts.script, ...kind.flags];
    cmd.push('--no-pypi', '--find-links', opts.findLinks, '-o', archive);
    runChecked(cmd);
    return { ...kind, archive, buildMs: runChecked(cmd).ms, bytes: fs.statSync(archive).size };
  });
}

function pexCases(pexArchives, opts, dirs) {
  const run = `${opts.script} ${opts.args.join(' ')}`;
  return pexArchives.flatMap((p) => {
    const what = `pex ${p.flags.join(' ') || '(zipapp)'}`;
    const archiveRun = [p.archive, ...opts.args];
    const cases = [
      toolCase(`${p.name}-warm`, 'pex', `${what}, warm: ./${p.name}/${run}`, archiveRun),
      coldCase(toolCase(`${p.name}-cold`, 'pex', `${what}, cold: ./${p.name}/${run}`, archiveRun), dirs.cold),
    ];
    if (p.hasTools) {
      const label = `${what}, materialize: PEX_TOOLS=1 ./${p.name}/${opts.script} venv --force DIR`;
      cases.push(materializeCase(`${p.name}-venv`, 'pex', label, p.archive, path.join(dirs.tmp, `${p.name}-materialized`)));
    }
    return cases;
  });
}

module.exports = { ourCases, buildPexArchives, pexCases };
