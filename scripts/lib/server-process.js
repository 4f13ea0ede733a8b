'use strict';
// Runs one of our test servers in a child process: tests block their own event loop with
// spawnSync, so an in-process server could not answer then. The child prints its URL as its
// first line and one line per request after it.
const { spawn } = require('node:child_process');

/** Resolves to { url, requests, close } once the server listens. */
function startServerProcess(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    let url = null;
    child.on('error', reject);
    child.on('exit', (code) => url === null && reject(new Error(`${script} exited with ${code} before listening`)));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        if (url !== null) {
          requests.push(line);
          continue;
        }
        url = line;
        resolve({ url, requests, close: () => new Promise((done) => (child.kill(), child.on('exit', done))) });
      }
    });
  });
}

module.exports = { startServerProcess };
