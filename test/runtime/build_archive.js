#!/usr/bin/env node
// The runtime suite's archive writer is the real one: this serves buildArchive (from dist/,
// as `npm run build` leaves it) to test/runtime/support.py, one JSON request a line on stdin
// and one JSON answer a line on stdout, so a test run starts node once, not per archive.
//
// Request: {out, wheels: [path], environments: [{id, platform, python, wheels: [[name]]}], requirements,
//           entryPoint, script, interpreterConstraints,
//           sources: {relative path: base64}, buildProperties, venvBinPath, stripPexEnv, runtimeDir,
//           compile: {python: path, minor, cacheDir}}   (bytecode of every wheel and of the runtime, by that interpreter)
// Answer:  {ok: true} | {ok: false, error: "<message>"}
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const dist = path.resolve(__dirname, '..', '..', 'dist', 'core');
const { buildArchive } = require(path.join(dist, 'archive'));
const { sha256File } = require(path.join(dist, 'common'));
const { compileBytecode } = require(path.join(dist, 'bytecode'));

async function build(request) {
  const sources = Object.keys(request.sources || {}).length ? fs.mkdtempSync(`${request.out}.src-`) : undefined;
  try {
    for (const [rel, data] of Object.entries(request.sources || {})) {
      fs.mkdirSync(path.dirname(path.join(sources, rel)), { recursive: true });
      fs.writeFileSync(path.join(sources, rel), Buffer.from(data, 'base64'));
    }
    const wheels = await Promise.all(
      request.wheels.map(async (p) => ({ filename: path.basename(p), path: p, sha256: await sha256File(p) })),
    );
    let compiled = {};
    if (request.compile) {
      const { python, minor, cacheDir } = request.compile;
      const runtime = path.join(request.runtimeDir, 'pexnx');
      const { files, runtime: runtimeBytecode } = await compileBytecode({
        targets: [{ python: minor, wheels }],
        python,
        cacheDir,
        runtime,
      });
      compiled = { bytecode: files, runtimeBytecode };
    }
    await buildArchive({ ...request, ...compiled, wheels, sourcesDir: sources });
  } finally {
    if (sources) fs.rmSync(sources, { recursive: true, force: true });
  }
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      await build(JSON.parse(line));
      answer = { ok: true };
    } catch (err) {
      answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
