'use strict';
// A small Nx self-hosted remote cache (the OpenAPI spec Nx documents: PUT/GET /v1/cache/{hash},
// bearer token), on 127.0.0.1, storing entries in a folder. Run as a child process by tests.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { startServerProcess } = require('./server-process');

function startRemoteCache(dir, token) {
  fs.mkdirSync(dir, { recursive: true });
  const server = http.createServer((req, res) => {
    const match = /^\/v1\/cache\/([A-Za-z0-9_-]+)$/.exec(req.url);
    process.stdout.write(`${req.method} ${req.url}\n`);
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(403);
      return res.end();
    }
    if (!match) {
      res.writeHead(404);
      return res.end();
    }
    const file = path.join(dir, match[1]);
    if (req.method === 'GET') {
      if (!fs.existsSync(file)) {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      return fs.createReadStream(file).pipe(res);
    }
    if (req.method === 'PUT') {
      if (fs.existsSync(file)) {
        res.writeHead(409);
        return res.end();
      }
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        fs.writeFileSync(`${file}.tmp`, Buffer.concat(chunks));
        fs.renameSync(`${file}.tmp`, file);
        res.writeHead(200);
        res.end();
      });
      return;
    }
    res.writeHead(405);
    res.end();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
}

/** Starts the cache in a child process: see server-process.js. */
function startRemoteCacheProcess(dir, token) {
  return startServerProcess(__filename, [dir, token ?? '']);
}

if (require.main === module) startRemoteCache(process.argv[2], process.argv[3] || undefined);

module.exports = { startRemoteCacheProcess };
