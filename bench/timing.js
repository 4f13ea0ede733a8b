'use strict';
// Wall-clock timing of child processes and of in-process work, and the statistics the report uses.
const { spawnSync } = require('node:child_process');

/** A failure of the benchmark itself: printed as one line, without a stack trace. */
class BenchError extends Error {}

const elapsedMs = (start) => Number(process.hrtime.bigint() - start) / 1e6;

/** Runs a command once (an argument array, never a shell string) and measures spawn-to-exit wall time. */
function timeCommand(cmd, { env, cwd } = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    env,
    cwd,
    encoding: 'utf8',
    // No terminal and no stdin: the tool must not wait for input.
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ms: elapsedMs(start), code: r.status, signal: r.signal, error: r.error, stdout: r.stdout, stderr: r.stderr };
}

/** Times an async function; resolves to milliseconds. */
async function timeAsync(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return elapsedMs(start);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const minimum = (values) => Math.min(...values);

/** Runs a command once and fails with its last stderr line unless it exits 0; returns the timed result. */
function runChecked(cmd, opts = {}) {
  const result = timeCommand(cmd, opts);
  assertSucceeded(cmd.join(' '), result);
  return result;
}

function assertSucceeded(label, result) {
  if (result.error) throw new BenchError(`"${label}" could not start: ${result.error.message}`);
  if (result.code !== 0) {
    const why = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
    const last = (result.stderr || '').trim().split('\n').pop();
    throw new BenchError(`"${label}" ${why}${last ? `: ${last}` : ''}`);
  }
}

const firstLine = (text) => text.split('\n')[0];

/**
 * Runs every case once per round, `warmup` + `rounds` times, keeping the samples of the last `rounds`.
 * Interleaving means machine noise (other load, frequency scaling) hits every case alike.
 *
 * A case: { id, label, cmd, env?, checkStdout?, before?, after?, rounds? }. `before()` may return extra
 * environment for that run (e.g. a fresh PEX_ROOT) and `after()` cleans up; neither is timed. A case
 * with `rounds` (slow ones: builds, locks, already warmed by the caller) skips the warm-up and runs in
 * the first `rounds` timed rounds only. The first case is the reference: every case with `checkStdout`
 * must print its first stdout line (the rest may name the paths a tool runs from, as `ansible --version` does).
 */
function runRoundRobin(cases, { rounds, warmup, onRound }) {
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  let reference;
  for (let round = 0; round < warmup + rounds; round++) {
    for (const c of cases) {
      const timed = round - warmup;
      if (c.rounds !== undefined && (timed < 0 || timed >= c.rounds)) continue;
      const extraEnv = c.before ? c.before() : {};
      let result;
      try {
        result = timeCommand(c.cmd, { env: { ...process.env, ...c.env, ...extraEnv } });
      } finally {
        if (c.after) c.after();
      }
      assertSucceeded(c.label, result);
      reference ??= result.stdout;
      if (c.checkStdout && firstLine(result.stdout) !== firstLine(reference)) {
        throw new BenchError(
          `"${c.label}" printed other stdout than "${cases[0].label}": ${JSON.stringify(firstLine(result.stdout))} ` +
            `instead of ${JSON.stringify(firstLine(reference))}`,
        );
      }
      if (timed >= 0) samples[c.id].push(result.ms);
    }
    if (onRound) onRound(round, warmup);
  }
  return samples;
}

module.exports = { BenchError, timeAsync, median, minimum, runChecked, runRoundRobin };
