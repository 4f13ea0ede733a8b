import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** Test support: serves a directory of wheels on 127.0.0.1 as a find-links page, behind basic auth. */
export async function serveWheels(
  dir: string,
  credentials: { user: string; password: string },
): Promise<{ port: number; close: () => Promise<void> }> {
  const expected = 'Basic ' + Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="wheels"' }).end();
      return;
    }
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
    if (name === '') {
      const links = readdirSync(dir).map((f) => `<a href="${encodeURIComponent(f)}">${f}</a><br>`);
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<html><body>${links.join('\n')}</body></html>`);
    } else if (!name.includes('/') && existsSync(path.join(dir, name))) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      createReadStream(path.join(dir, name)).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
