'use strict';
// A PEP 503 "simple" index over HTTP on 127.0.0.1, serving the wheels of one directory.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const nodeCrypto = require('node:crypto');
const { startServerProcess } = require('./server-process');

const canonical = (name) => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * Starts the index; resolves to { url, requests, close }. `url` ends with /simple/.
 * With `auth` ({ user, password }) every request needs HTTP basic auth, as private indexes do.
 */
function startIndex(dir, { auth, onRequest } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    if (onRequest) onRequest(req.url);
    if (auth) {
      const expected = 'Basic ' + Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' });
        return res.end();
      }
    }
    const wheels = fs.readdirSync(dir).filter((f) => f.endsWith('.whl'));
    const parts = decodeURIComponent(req.url.split('?')[0]).split('/').filter(Boolean);
    if (parts[0] === 'simple' && parts.length === 1) {
      const names = [...new Set(wheels.map((w) => canonical(w.split('-')[0])))].sort();
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end(`<!DOCTYPE html><html><body>${names.map((n) => `<a href="/simple/${n}/">${n}</a>`).join('\n')}</body></html>`);
    }
    if (parts[0] === 'simple' && parts.length === 2) {
      const links = wheels.filter((w) => canonical(w.split('-')[0]) === parts[1]);
      if (links.length === 0) {
        res.writeHead(404);
        return res.end();
      }
      const body = links
        .map((w) => {
          const sha = nodeCrypto
            .createHash('sha256')
            .update(fs.readFileSync(path.join(dir, w)))
            .digest('hex');
          return `<a href="/files/${w}#sha256=${sha}">${w}</a>`;
        })
        .join('\n');
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end(`<!DOCTYPE html><html><body>${body}</body></html>`);
    }
    if (parts[0] === 'files' && parts.length === 2 && wheels.includes(parts[1])) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      return fs.createReadStream(path.join(dir, parts[1])).pipe(res);
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/simple/`,
        port,
        requests,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

/** The same index in a child process: see server-process.js. */
function startIndexProcess(dir, { auth } = {}) {
  return startServerProcess(__filename, [dir, ...(auth ? ['--auth', `${auth.user}:${auth.password}`] : [])]);
}

if (require.main === module) {
  const [dir, flag, credentials] = process.argv.slice(2);
  const auth = flag === '--auth' ? { user: credentials.split(':')[0], password: credentials.split(':').slice(1).join(':') } : undefined;
  startIndex(dir, { auth, onRequest: (url) => process.stdout.write(`${url}\n`) }).then((index) => process.stdout.write(`${index.url}\n`));
}

module.exports = { startIndex, startIndexProcess };
