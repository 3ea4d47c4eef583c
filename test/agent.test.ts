import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SlipwayError } from '../src/core/errors.ts';
import { install } from '../src/agent/install.ts';
import { Instance } from '../src/agent/instance.ts';
import { freePort, installRoot, sampleFeed } from './agent-helpers.ts';

describe('the update agent, end to end with the sample app', () => {
  it('installs v1, updates to v2, refuses a tampered v3, rolls back a v3 whose health check fails, rolls back by hand', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
    const root = await installRoot();
    const port = await freePort();
    const r1 = await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port });
    assert.equal(r1.outcome, 'updated', r1.reason);
    assert.equal(r1.to, '1.0.0');
    const inst = await Instance.open(root);
    assert.deepEqual((await inst.consistency()).problems, []);
    await writeFile(join(root, 'config.json'), JSON.stringify({ config_version: 1, server: { ssl_mode: 'require' } }));

    await feed.release({ version: '2.0.0', schema: 2, configVersion: 2 });
    const check = await inst.check();
    assert.equal(check.selection.target?.version, '2.0.0');
    const r2 = await inst.update();
    assert.equal(r2.outcome, 'updated', r2.reason);
    let c = await inst.consistency();
    assert.deepEqual(c.problems, []);
    assert.equal(c.db, '2');
    const cfg = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as {
      config_version: number;
      server: { tls: { mode: string } };
    };
    assert.equal(cfg.config_version, 2);
    assert.equal(cfg.server.tls.mode, 'require', 'server.ssl_mode was renamed to server.tls.mode');

    // Tampered v3: one byte of the stored artifact changed after signing.
    const p3 = await feed.release({ version: '3.0.0', schema: 3, configVersion: 2 });
    const art = p3.targets[0]!;
    const stored = join(feed.dir, 'targets', 'stable', '3.0.0', `${art.sha256}.${art.name}`);
    const bytes = await readFile(stored);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(stored, bytes);
    await assert.rejects(inst.update(), (e: SlipwayError) => e.code === 'VERIFY_FAILED');
    c = await inst.consistency();
    assert.equal(c.link, '2.0.0');
    assert.deepEqual(c.problems, []);
    assert.ok(!(await readdir(join(root, 'releases'))).includes('3.0.0'), 'nothing of 3.0.0 was unpacked');
    assert.match(await readFile(join(root, 'state', 'agent.log'), 'utf8'), /ALERT: 3\.0\.0 failed verification/);

    // 3.0.1 is broken: its health check fails, so the agent rolls back on its own.
    await feed.release({ version: '3.0.1', schema: 3, configVersion: 2, broken: true });
    const r3 = await inst.update();
    assert.equal(r3.outcome, 'rolled-back');
    assert.match(r3.reason!, /health check failed/);
    c = await inst.consistency();
    assert.deepEqual(c.problems, []);
    assert.equal(c.link, '2.0.0');
    assert.equal(c.db, '2', "migration 3 was reversed with 3.0.1's own files");
    const again = await inst.update();
    assert.equal(again.outcome, 'up-to-date', 'a release that failed is not retried on its own');
    assert.match(again.reason!, /failed before/);

    // By hand, back to 1.0.0: schema 1, config_version 1 again.
    const rb = await inst.rollback({ version: 'v1.0.0' });
    assert.equal(rb.to, '1.0.0');
    c = await inst.consistency();
    assert.deepEqual(c.problems, []);
    assert.equal(c.db, '1');
    const back = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as {
      config_version?: number;
      server: { ssl_mode?: string };
    };
    assert.equal(back.config_version ?? 1, 1, 'no config_version is the first layout');
    assert.equal(back.server.ssl_mode, 'require', 'the rename was reversed');
    await assert.rejects(inst.rollback({ version: '0.1.0' }), (e: SlipwayError) => e.code === 'NOT_KEPT');
    const events = (await inst.history()).map((h) => h.event);
    assert.deepEqual(events, ['installed', 'updated', 'rejected', 'update-failed', 'rolled-back']);
  });
});
