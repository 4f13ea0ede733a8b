#!/usr/bin/env node
// One step of the plugin's core in its own process, so the bench can time it interleaved with pex's
// own commands: `node bench/core-step.js lock|build|lock-environments '<options as JSON>'` (the built
// plugin in dist/). lock-environments resolves the requirements for every environment of
// bench/environments.js in one pipResolveEnvironments call, as a lock for all of them does.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const workflows = require('../dist/core/workflows');
const { formatError, PexError } = require('../dist/core/common');
const { pipProblemLine, pipResolveEnvironments } = require('../dist/core/pip');
const { findInterpreter } = require('../dist/core/python');
const { parseRequirements } = require('../dist/core/requirements');
const { benchEnvironments } = require('./environments');

async function lockEnvironments({ requirementsFile, python }) {
  const requirements = parseRequirements(fs.readFileSync(requirementsFile, 'utf8'), requirementsFile);
  const interpreter = await findInterpreter({ python });
  const envs = benchEnvironments();
  const results = await pipResolveEnvironments({
    interpreter,
    requirements: [...requirements.pipOptions, ...requirements.requirements],
    indexArgs: [],
    envs,
    cwd: path.dirname(requirementsFile),
  });
  const failed = results.filter((r) => r.install === null);
  // A failed environment costs less than a resolved one: the timing holds only when all resolved.
  if (failed.length) {
    console.error(`bench: ${failed.length} of ${envs.length} environments failed, ${failed[0].id}: ${pipProblemLine(failed[0].stderr)}`);
    process.exit(1);
  }
  console.log(`resolved ${results.length} environments`);
}

const [step, json] = process.argv.slice(2);
const run = { lock: workflows.lockTool, build: workflows.buildTool, 'lock-environments': lockEnvironments }[step];
if (!run || !json) {
  console.error('usage: node bench/core-step.js lock|build|lock-environments OPTIONS_JSON');
  process.exit(2);
}
run(JSON.parse(json)).catch((err) => {
  console.error(err instanceof PexError ? formatError(err) : err);
  process.exit(1);
});
