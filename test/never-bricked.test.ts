import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readAgentConfig, setKey, writeAgentConfig } from '../src/agent/config.ts';
import { install } from '../src/agent/install.ts';
import { Instance } from '../src/agent/instance.ts';
import { Layout } from '../src/agent/layout.ts';
import { SlipwayError } from '../src/core/errors.ts';
import { freePort, installRoot, sampleFeed } from './agent-helpers.ts';

async function setting(root: string, key: string, value: string): Promise<void> {
  const path = join(root, 'agent.json');
  await writeAgentConfig(path, setKey((await readAgentConfig(path, new Date())).config, key, value));
}

async function fresh(feed: Awaited<ReturnType<typeof sampleFeed>>, clock?: { now(): Date }) {
  const root = await installRoot();
  const port = await freePort();
  await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port, version: '1.0.0' });
  return { root, port, inst: await Instance.open(root, clock ? { clock } : {}) };
}

describe('never bricked: decisions, holds, kept versions and downloads', async () => {
  const feed = await sampleFeed();
  await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
  await feed.release({ version: '1.1.0', schema: 2, configVersion: 2 });

  it('a rollback sticks, keeps the version it left and config_version, and the next release keeps the right two', async () => {
    const { root, inst } = await fresh(feed);
    assert.equal((await inst.update({ version: '1.1.0' })).outcome, 'updated');
    assert.equal((await inst.rollback()).to, '1.0.0');
    const cfg = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as { config_version?: number };
    assert.equal(cfg.config_version, 1, 'config_version survives the rollback');
    const again = await inst.update({ respectWindow: true });
    assert.equal(again.outcome, 'up-to-date');
    assert.match(again.reason ?? '', /rolled back from/);
    assert.equal((await inst.check()).decision.action, 'hold');
    await feed.release({ version: '1.2.0', schema: 2, configVersion: 2 });
    assert.equal((await inst.update({ version: '1.2.0' })).outcome, 'updated');
    assert.deepEqual(
      (await inst.state()).kept.map((k) => k.version),
      ['1.2.0', '1.0.0'],
      'the version it replaced is kept, not the one rolled back from',
    );
    assert.equal((await inst.rollback()).to, '1.0.0');
  });

  it('a critical fix skipped over by a plain release applies at once, outside the window', async () => {
    const clock = { now: () => new Date('2026-11-25T12:00:00Z') }; // a Wednesday
    const { root } = await fresh(feed, clock);
    await setting(root, 'update.maintenance-window', 'Sun 02:00-06:00 UTC');
    const inst = await Instance.open(root, { clock });
    await feed.release({ version: '1.0.1', schema: 1, configVersion: 1 }, { security: { severity: 'critical' } });
    await feed.release({ version: '1.0.2', schema: 1, configVersion: 1 });
    const check = await inst.check();
    assert.notEqual(check.selection.target?.version, '1.0.1', 'the target is a newer plain release');
    assert.equal(check.decision.action, 'apply-now', check.decision.reason);
    assert.equal(check.selection.security, 'critical');
    assert.equal((await inst.update({ respectWindow: true })).outcome, 'updated', 'applied on a Wednesday');
  });

  it('a new major waits for approval; by name it applies', async () => {
    await feed.release({ version: '2.0.0', schema: 3, configVersion: 2 });
    const { inst } = await fresh(feed);
    const r = await inst.update({ respectWindow: true });
    assert.equal(r.outcome, 'up-to-date');
    assert.match(r.reason ?? '', /new major version/);
    assert.equal((await inst.update({ version: '2.0.0' })).outcome, 'updated');
  });

  it('refuses settings that cannot work: keep 1, intervals outside 1m–30d, a window that never opens', async () => {
    const { root } = await fresh(feed);
    for (const [key, value] of [
      ['update.keep', '1'],
      ['update.check-interval', '0s'],
      ['update.check-interval', '99999999999999999999999w'],
      ['update.maintenance-window', 'constructor 01:00-02:00'],
    ] as const) {
      await assert.rejects(
        setting(root, key, value),
        (e: SlipwayError) =>
          (e.code === 'USAGE' && e.message.includes(key.split('.')[1]!)) || /not a day/.test(e.message),
        `${key} ${value}`,
      );
    }
  });

  it('a download that trickles is cut at its deadline, keeps what arrived, and resumes later', async () => {
    const { root, inst } = await fresh(feed);
    // A proxy in front of the feed that sends artifacts one byte every 200 ms.
    const proxy = createServer((req, res) => {
      const up = request(
        {
          host: '127.0.0.1',
          port: Number(new URL(feed.url).port),
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          if (!(req.url ?? '').endsWith('.tar.gz') || req.headers.range) {
            r.pipe(res);
            return;
          }
          r.pause();
          const timer = setInterval(() => {
            const b = r.read(1) as Buffer | null;
            if (b) res.write(b);
          }, 200);
          r.on('end', () => clearInterval(timer));
          res.on('close', () => clearInterval(timer));
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    after(() => new Promise<void>((done) => proxy.close(() => done())));
    const proxied = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    await setting(root, 'feed.url', proxied);
    await setting(root, 'update.download-timeout', '2s');
    const slow = await Instance.open(root);
    const started = Date.now();
    await assert.rejects(slow.update({ version: '1.1.0' }), (e: SlipwayError) => e.code === 'FEED_UNREACHABLE');
    assert.ok(Date.now() - started < 30_000, 'the deadline held');
    const partials = (await readdir(new Layout(root).downloads).catch(() => [])).filter((f) => f.endsWith('.partial'));
    assert.equal(partials.length, 1, 'the bytes that arrived are kept');
    assert.ok((await stat(join(new Layout(root).downloads, partials[0]!))).size > 0);
    await setting(root, 'feed.url', feed.url);
    const back = await Instance.open(root);
    assert.equal((await back.update({ version: '1.1.0' })).outcome, 'updated', 'resumed and applied');
    void inst;
  });
});

describe('install run again on an existing root', () => {
  it('with the same settings is fine; with others it refuses and names the command', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
    const root = await installRoot();
    const port = await freePort();
    const base = { root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port };
    assert.equal((await install(base)).outcome, 'updated');
    assert.equal((await install(base)).outcome, 'up-to-date');
    await assert.rejects(
      install({ ...base, port: port + 1 }),
      (e: SlipwayError) =>
        e.code === 'USAGE' &&
        /installed already with other settings:$/.test(e.message) &&
        e.details.length === 1 &&
        /slipway config set app\.port/.test(e.details[0]!),
    );
    await assert.rejects(
      install({ ...base, channel: 'beta' }),
      (e: SlipwayError) => e.code === 'USAGE' && /update\.channel is stable, not beta/.test(e.details.join('\n')),
    );
  });
});

describe('settings checked against the feed, config migrated when the app starts', () => {
  it('warns about an update.channel the feed does not sign and doctor fails it; the agent moves an older config.json up as it starts the app', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '1.1.0', schema: 2, configVersion: 2 });
    const root = await installRoot();
    const port = await freePort();
    await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port });
    const { runCli } = await import('./helpers.ts');
    const alpha = await runCli(['config', 'set', 'update.channel', 'alpha', '--root', root, '--json']);
    assert.equal(alpha.status, 0, alpha.stderr);
    assert.match(alpha.stderr, /warning: the feed has no channel "alpha"; it has nightly, beta, stable/);
    const doctor = await runCli(['doctor', '--root', root]);
    assert.equal(doctor.status, 1);
    assert.match(doctor.stdout, /update\.channel is "alpha", which the feed does not have/);
    assert.equal((await runCli(['config', 'set', 'update.channel', 'beta', '--root', root])).status, 0);

    await writeFile(join(root, 'config.json'), JSON.stringify({ config_version: 1, server: { ssl_mode: 'require' } }));
    const { Agent } = await import('../src/agent/agent.ts');
    const agent = await Agent.create(root, { firstCheckMs: 3_600_000 });
    await agent.start();
    try {
      const cfg = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as {
        config_version: number;
        server: { tls?: { mode: string } };
      };
      assert.equal(cfg.config_version, 2);
      assert.equal(cfg.server.tls?.mode, 'require');
      assert.match(await readFile(join(root, 'state', 'agent.log'), 'utf8'), /config_version 1 → 2/);
    } finally {
      await agent.stop();
    }
  });
});

describe('health commands', () => {
  it('a health command with a timeout under 5 s judges a healthy release healthy', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
    const { readFile: read, writeFile: write } = await import('node:fs/promises');
    await feed.release({
      version: '1.0.1',
      schema: 1,
      configVersion: 1,
      extra: async (dir) => {
        const m = JSON.parse(await read(join(dir, 'slipway.app.json'), 'utf8')) as Record<string, unknown>;
        m.health = { command: ['/bin/sh', '-c', 'sleep 0.2; exit 0'], successes: 1, timeout: '4s', interval: '100ms' };
        await write(join(dir, 'slipway.app.json'), JSON.stringify(m));
      },
    });
    const { inst } = await fresh(feed);
    const r = await inst.update({ version: '1.0.1' });
    assert.equal(r.outcome, 'updated', r.reason);
  });
});
