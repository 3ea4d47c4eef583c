import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Agent, withJitter } from '../src/agent/agent.ts';
import { setKey, writeAgentConfig } from '../src/agent/config.ts';
import type { StatusReport } from '../src/agent/report.ts';
import { installedSample, stopFirst } from './agent-helpers.ts';
import { runCli } from './helpers.ts';

/** A clock the test moves by hand (the agent's timers read it; nothing sleeps for hours). */
class TestClock {
  t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

async function appVersion(port: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      return ((await r.json()) as { version: string }).version;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the app does not answer');
}

describe('slipway agent', () => {
  it('holds an update for the maintenance window, applies a security release at once, supervises the app, serves an authenticated API', async () => {
    const { feed, root, port } = await installedSample();
    const cfgPath = join(root, 'agent.json');
    const { readAgentConfig } = await import('../src/agent/config.ts');
    let cfg = (await readAgentConfig(cfgPath, new Date())).config;
    cfg = setKey(cfg, 'update.maintenance-window', 'Sun 02:00-06:00');
    await writeAgentConfig(cfgPath, cfg);

    // Wednesday noon, UTC.
    const clock = new TestClock('2026-11-18T12:00:00Z');
    const agent = await Agent.create(root, { clock, firstCheckMs: 0, tickMs: 3_600_000, serverZone: 'UTC' });
    await agent.start();
    stopFirst(root, () => agent.stop());
    assert.equal(await appVersion(port), '1.0.0', 'the agent runs the installed version');

    // A normal release outside the window: downloaded, verified and staged, not applied.
    await feed.release({ version: '1.1.0', schema: 2 });
    await agent.tick();
    let s = await agent.instance.state();
    assert.equal(s.current, '1.0.0');
    assert.equal(s.staged?.version, '1.1.0');
    assert.equal(s.staged?.applyAt, '2026-11-22T02:00:00.000Z');
    assert.equal(await appVersion(port), '1.0.0');

    // Saturday evening: still closed. Sunday 02:30: applied at the next tick.
    clock.set('2026-11-21T22:00:00Z');
    await agent.tick();
    assert.equal((await agent.instance.state()).current, '1.0.0');
    clock.set('2026-11-22T02:30:00Z');
    await agent.tick();
    s = await agent.instance.state();
    assert.equal(s.current, '1.1.0');
    assert.equal(s.staged, null);
    assert.equal(await appVersion(port), '1.1.0', 'the supervisor restarted the app on the new version');

    // Monday: a security release bypasses the window.
    clock.set('2026-11-23T12:00:00Z');
    await feed.release({ version: '1.1.1', schema: 2 }, { security: { severity: 'high', advisory: 'CVE-2026-4242' } });
    await agent.tick();
    assert.equal((await agent.instance.state()).current, '1.1.1');
    assert.equal(await appVersion(port), '1.1.1');

    // Unless the operator says security releases wait too (through the authenticated API).
    const token = (await readFile(join(root, 'state', 'token'), 'utf8')).trim();
    const api = (path: string, init: RequestInit = {}, auth = true) =>
      fetch(`${agent.url}${path}`, {
        ...init,
        headers: {
          ...(auth ? { authorization: `Bearer ${token}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
    assert.equal((await api('/api/status', {}, false)).status, 401);
    assert.equal((await fetch(`${agent.url}/api/status`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    let res = await api('/api/config', {
      method: 'PUT',
      body: JSON.stringify({ key: 'update.security-bypass-window', value: 'false' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    res = await api('/api/config', {
      method: 'PUT',
      body: JSON.stringify({ key: 'update.maintenance-window', value: 'Sun 25:00-26:00' }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /"25:00" is not a time of day/);
    // Bad requests get 4xx from the agent's node:http stack, never 500.
    assert.equal((await api('/api/update', { method: 'POST', body: '{"version":' })).status, 400);
    assert.equal((await api('/api/update', { method: 'POST', body: '{"version":123}' })).status, 400);
    assert.equal(
      (await api('/api/rollback', { method: 'POST', body: JSON.stringify({ version: 'x'.repeat(70_000) }) })).status,
      413,
    );
    const plain = await fetch(`${agent.url}/api/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(plain.status, 415);
    clock.set('2026-11-24T12:00:00Z');
    await feed.release({ version: '1.1.2', schema: 2 }, { security: { severity: 'critical' } });
    await agent.tick();
    s = await agent.instance.state();
    assert.equal(s.current, '1.1.1');
    assert.equal(s.staged?.version, '1.1.2');

    // The CLI talks to the running agent.
    const st = await runCli(['status', '--root', root, '--json']);
    assert.equal(st.status, 0, st.stderr);
    const report = JSON.parse(st.stdout) as StatusReport;
    assert.equal(report.agent.running, true);
    assert.equal(report.staged?.version, '1.1.2');
    const up = await runCli(['update', '--root', root, '--json']);
    assert.equal(up.status, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as { to: string }).to, '1.1.2', 'update by hand applies now, window or not');
    assert.equal(await appVersion(port), '1.1.2');

    // The supervisor restarts a crashed app.
    const pid = Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim());
    process.kill(-pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await appVersion(port), '1.1.2', 'back after a crash');
    assert.notEqual(Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim()), pid);
    assert.match(await readFile(join(root, 'state', 'agent.log'), 'utf8'), /restarting app 1\.1\.2/);

    // A feed that cannot be reached: the agent keeps running the app and says why in its status.
    const { setKey: set } = await import('../src/agent/config.ts');
    const { readAgentConfig: read } = await import('../src/agent/config.ts');
    await writeAgentConfig(
      cfgPath,
      set((await read(cfgPath, new Date())).config, 'feed.url', 'http://127.0.0.1:9/feed'),
    );
    await agent.instance.reloadConfig();
    clock.set('2026-11-26T12:00:00Z');
    await agent.tick();
    s = await agent.instance.state();
    assert.match(s.lastCheck?.error ?? '', /cannot be reached/);
    assert.equal(await appVersion(port), '1.1.2');

    // Two updaters never run at once: a second agent on the same root is refused.
    await assert.rejects(
      (await Agent.create(root, { clock })).start(),
      /an agent for this install root is running already/,
    );
  });

  it('drops a staged release that was yanked before its window opened', async () => {
    const { feed, root } = await installedSample();
    const cfgPath = join(root, 'agent.json');
    const { readAgentConfig } = await import('../src/agent/config.ts');
    await writeAgentConfig(
      cfgPath,
      setKey((await readAgentConfig(cfgPath, new Date())).config, 'update.maintenance-window', 'Sun 02:00-06:00'),
    );
    const clock = new TestClock('2026-11-18T12:00:00Z');
    const agent = await Agent.create(root, { clock, firstCheckMs: 0, tickMs: 3_600_000, serverZone: 'UTC' });
    await agent.start();
    stopFirst(root, () => agent.stop());
    await feed.release({ version: '1.1.0', schema: 2 });
    await agent.tick();
    assert.equal((await agent.instance.state()).staged?.version, '1.1.0');
    const { yankRelease } = await import('../src/release/yank-release.ts');
    await yankRelease(feed.store, feed.keys, { version: '1.1.0', reason: 'loses data on upgrade', now: new Date() });
    clock.set('2026-11-22T02:30:00Z');
    await agent.tick();
    const s = await agent.instance.state();
    assert.equal(s.current, '1.0.0');
    assert.equal(s.staged, null);
    assert.match(
      await readFile(join(root, 'state', 'agent.log'), 'utf8'),
      /dropped staged 1\.1\.0: yanked \(loses data on upgrade\)/,
    );
  });

  it('spreads checks with jitter', () => {
    const h6 = 6 * 3_600_000;
    assert.equal(
      withJitter(h6, () => 0),
      Math.round(h6 * 0.9),
    );
    assert.equal(
      withJitter(h6, () => 1),
      Math.round(h6 * 1.1),
    );
  });
});
