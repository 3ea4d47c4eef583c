import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlipwayError } from './errors.ts';
import { fill, parseAppManifest } from './app-manifest.ts';

const good = {
  name: 'panel',
  start: { command: ['./panel', 'serve', '--port', '{port}'] },
  health: { url: 'http://127.0.0.1:{port}/health' },
  migrations: 'migrations',
};

describe('the app manifest (slipway.app.json)', () => {
  it('reads a manifest with defaults', () => {
    const m = parseAppManifest(JSON.stringify(good), 'slipway.app.json');
    assert.equal(m.health.successes, 3);
    assert.equal(m.health.timeout, '60s');
    assert.equal(m.start.stopTimeout, '10s');
  });

  it('says every problem with its path', () => {
    const bad = {
      name: '',
      start: { command: [] },
      health: { url: 'x', command: ['y'], interval: 'soon' },
      migrations: '../../etc',
      extra: 1,
    };
    assert.throws(
      () => parseAppManifest(JSON.stringify(bad), 'v2/slipway.app.json'),
      (e: SlipwayError) =>
        e.code === 'APP_MANIFEST_INVALID' &&
        /v2\/slipway\.app\.json is not a valid app manifest/.test(e.message) &&
        /name:/.test(e.message) &&
        /start\.command:/.test(e.message) &&
        /health\.interval: expected a duration/.test(e.message) &&
        /migrations: expected a path inside the release/.test(e.message) &&
        /Unrecognized key.*extra/.test(e.message),
    );
    assert.throws(
      () => parseAppManifest(JSON.stringify({ ...good, health: { url: 'a', command: ['b'] } }), 'm'),
      /exactly one of health\.url and health\.command/,
    );
    assert.throws(() => parseAppManifest('{ nope', 'm'), /m is not JSON/);
    assert.throws(
      () => parseAppManifest(JSON.stringify({ ...good, version: '1.0.0' }), 'm', '2.0.0'),
      /says version 1\.0\.0, but the release is 2\.0\.0/,
    );
  });

  it('fills placeholders and refuses unknown ones', () => {
    assert.equal(fill('http://127.0.0.1:{port}/health', { port: '8080' }, 'm'), 'http://127.0.0.1:8080/health');
    assert.throws(
      () => fill('{prot}', { port: '8080' }, 'm'),
      /unknown placeholder \{prot\}; expected one of \{port\}/,
    );
  });
});
