import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { apiHeaders, apiHeadersMiddleware } from './headers.ts';

const options = {
  versionHeader: 'X-AiPanel-Version',
  version: '0.4.2',
  deprecations: [
    {
      method: 'POST',
      path: '/api/v1/sites',
      deprecated: new Date('2026-06-01T00:00:00Z'),
      sunset: new Date('2026-12-31T23:59:59Z'),
      link: 'https://docs.example.dev/upgrading#v2',
      successor: '/api/v2/sites',
    },
    { path: '/api/v1/sites/:id/*', deprecated: new Date('2026-06-01T00:00:00Z') },
  ],
};

describe('version and deprecation headers for host apps', () => {
  it('on node:http: the version on every response; Deprecation, Sunset and Link on deprecated endpoints', async () => {
    const mw = apiHeadersMiddleware(options);
    const server = createServer((req, res) => {
      mw(req, res);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let r = await fetch(`${base}/api/v2/sites`, { method: 'POST' });
    assert.equal(r.headers.get('x-aipanel-version'), '0.4.2');
    assert.equal(r.headers.get('deprecation'), null);
    r = await fetch(`${base}/api/v1/sites?page=2`, { method: 'POST' });
    assert.equal(r.headers.get('deprecation'), '@1780272000');
    assert.equal(r.headers.get('sunset'), 'Thu, 31 Dec 2026 23:59:59 GMT');
    assert.equal(
      r.headers.get('link'),
      '<https://docs.example.dev/upgrading#v2>; rel="deprecation"; type="text/html", </api/v2/sites>; rel="successor-version"',
    );
    r = await fetch(`${base}/api/v1/sites`);
    assert.equal(r.headers.get('deprecation'), null, 'only POST is deprecated there');
    r = await fetch(`${base}/api/v1/sites/42/backups/7`);
    assert.equal(r.headers.get('deprecation'), '@1780272000');
  });

  it('in a fastify hook', async () => {
    const headersFor = apiHeaders(options);
    const app = Fastify();
    app.addHook('onRequest', (req, reply, done) => {
      for (const [k, v] of headersFor(req.method, req.url)) void reply.header(k, v);
      done();
    });
    app.post('/api/v1/sites', () => ({ ok: true }));
    const r = await app.inject({ method: 'POST', url: '/api/v1/sites' });
    assert.equal(r.headers['x-aipanel-version'], '0.4.2');
    assert.equal(r.headers.sunset, 'Thu, 31 Dec 2026 23:59:59 GMT');
    await app.close();
  });

  it('refuses rules that make no sense, when they are made', () => {
    assert.throws(() => apiHeaders({ versionHeader: 'X Version', version: '1' }), /is not a header name/);
    assert.throws(() => apiHeaders({ versionHeader: 'X-V' }), /needs the version/);
    assert.throws(
      () => apiHeaders({ deprecations: [{ path: '/a', deprecated: new Date('nope') }] }),
      /deprecations\[0\]\.deprecated is not a valid date/,
    );
    assert.throws(
      () =>
        apiHeaders({
          deprecations: [{ path: '/a', deprecated: new Date('2027-01-01'), sunset: new Date('2026-01-01') }],
        }),
      /sunset .* comes before the deprecation/,
    );
  });
});
