#!/usr/bin/env node
// One step of the plugin's core in its own process, so the bench can time it interleaved with pex's
// own commands: `node bench/core-step.js lock|build '<options as JSON>'` (the built plugin in dist/).
'use strict';
const workflows = require('../dist/core/workflows');
const { formatError, PexError } = require('../dist/core/common');

const [step, json] = process.argv.slice(2);
const run = { lock: workflows.lockTool, build: workflows.buildTool }[step];
if (!run || !json) {
  console.error('usage: node bench/core-step.js lock|build OPTIONS_JSON');
  process.exit(2);
}
run(JSON.parse(json)).catch((err) => {
  console.error(err instanceof PexError ? formatError(err) : err);
  process.exit(1);
});
