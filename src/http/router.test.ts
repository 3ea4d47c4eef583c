import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SlipwayError } from '../core/errors.ts';
import { createRouter, listen, optionalString } from './router.ts';

const TOKEN = 'a'.repeat(64);

/** One raw HTTP exchange, so the test controls every byte (and the pace) of the request. */
function raw(port: number, text: string, pauseMs = 0, rest = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
      if (rest) setTimeout(() => socket.write(rest), pauseMs);
    });
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.setTimeout(5000, () => socket.destroy());
  });
}

function call(
  port: number,
  options: { method?: string; path?: string; host?: string; auth?: string | null; type?: string; body?: string },
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${port}` };
    if (options.auth !== null) headers.authorization = options.auth ?? `Bearer ${TOKEN}`;
    if (options.body !== undefined) headers['content-type'] = options.type ?? 'application/json';
    const req = request(
      { port, host: '127.0.0.1', method: options.method ?? 'POST', path: options.path ?? '/api/echo', headers },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(data || '{}') as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the http router (agent API stack)', () => {
  let port = 0;
  let close: () => Promise<void> = () => Promise.resolve();
  before(async () => {
    let hosts = new Set<string>();
    const handler = createRouter(
      [
        {
          method: 'POST',
          path: '/api/echo',
          handle: ({ body }) => ({ version: optionalString(body, 'version') ?? null }),
        },
        {
          method: 'GET',
          path: '/api/locked',
          handle: () => {
            throw new SlipwayError('LOCKED', 'another update runs');
          },
        },
        {
          method: 'GET',
          path: '/api/bug',
          handle: () => {
            throw new Error('boom');
          },
        },
        { method: 'GET', path: '/', file: { type: 'text/html', body: Buffer.from('<p>page</p>') } },
      ],
      { hosts: () => hosts, token: TOKEN, tokenHint: 'state/token', bodyLimit: 1024, bodyTimeoutMs: 300 },
    );
    const served = await listen(handler, { host: '127.0.0.1', port: 0 });
    port = served.port;
    hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    close = () => served.close();
  });
  after(() => close());

  it('answers a good request, and serves static files without the token', async () => {
    const r = await call(port, { body: '{"version":"1.2.3"}' });
    assert.deepEqual(r, { status: 200, json: { version: '1.2.3' } });
    const page = await raw(port, `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
    assert.equal(page.status, 200);
    assert.equal(page.body, '<p>page</p>');
  });

  it('refuses another Host (DNS rebinding) with 421 and a missing or wrong token with 401', async () => {
    assert.equal((await call(port, { host: 'evil.example:80', body: '{}' })).status, 421);
    assert.equal((await call(port, { auth: null, body: '{}' })).status, 401);
    const wrong = await call(port, { auth: `Bearer ${'b'.repeat(64)}`, body: '{}' });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.json.message), /state\/token/);
  });

  it('400 for a body that is not JSON, not an object, or has a field of the wrong type', async () => {
    for (const body of ['{"version":', '[1,2]', 'null', '{"version":123}']) {
      const r = await call(port, { body });
      assert.equal(r.status, 400, body);
      assert.ok(typeof r.json.message === 'string' && r.json.message.length > 0);
    }
  });

  it('413 for a body over the cap, declared or streamed', async () => {
    assert.equal((await call(port, { body: JSON.stringify({ version: 'x'.repeat(2000) }) })).status, 413);
    const chunked = await raw(
      port,
      `POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      10,
      `800\r\n${'x'.repeat(0x800)}\r\n`,
    );
    assert.equal(chunked.status, 413);
  });

  it('415 for a body that is not application/json', async () => {
    assert.equal((await call(port, { type: 'text/plain', body: '{}' })).status, 415);
  });

  it('408 for a body that does not arrive in time', async () => {
    const slow = await raw(
      port,
      `POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"ver`,
    );
    assert.equal(slow.status, 408);
  });

  it('an unauthenticated slow body is answered at once, without waiting for it', async () => {
    const r = await raw(
      port,
      `POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{`,
    );
    assert.equal(r.status, 401);
  });

  it('404 and 405 for unknown routes and methods; 409 for a held lock; 500 only for a bug', async () => {
    assert.equal((await call(port, { method: 'GET', path: '/api/nothing' })).status, 404);
    assert.equal((await call(port, { method: 'PUT', path: '/api/echo', body: '{}' })).status, 405);
    const locked = await call(port, { method: 'GET', path: '/api/locked' });
    assert.equal(locked.status, 409);
    assert.equal(locked.json.error, 'LOCKED');
    assert.equal((await call(port, { method: 'GET', path: '/api/bug' })).status, 500);
  });
});
