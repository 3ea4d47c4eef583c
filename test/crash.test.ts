import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { install } from '../src/agent/install.ts';
import { CRASH_POINTS, Instance, type CrashPoint } from '../src/agent/instance.ts';
import { freePort, installRoot, sampleFeed } from './agent-helpers.ts';
import { spawnCli as runCli } from './helpers.ts';

/**
 * Crash safety: `slipway update` and `slipway rollback` run in a child process that kills itself
 * with SIGKILL at one step (SLIPWAY_CRASH_AT). The next command recovers; the instance must then be
 * on the old version or the new one, never half, with the database schema and config_version that
 * version expects, and a healthy app.
 */
describe('crash safety: SIGKILL at every step of an update and of a rollback', async () => {
  const feed = await sampleFeed();
  await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
  await feed.release({ version: '2.0.0', schema: 3, configVersion: 2 });
  /**
   * Where each crash must land: a crash point added to CRASH_POINTS without a line here fails the
   * typecheck (Record<CrashPoint, …>) and the test below; one that is never reached fails its own
   * test (the updater was not killed).
   */
  const LANDS_ON = {
    downloaded: '1.0.0',
    unpacked: '1.0.0',
    begun: '1.0.0',
    'app-stopped': '1.0.0',
    snapshotted: '1.0.0',
    'config-migrated': '1.0.0',
    'db-migration-1': '1.0.0',
    'db-migrated': '1.0.0',
    switched: '1.0.0',
    'app-started': '1.0.0',
    healthy: '1.0.0',
    committed: '2.0.0',
    // An interrupted rollback is finished: the operator asked to leave 2.0.0.
    'rollback-begun': '1.0.0',
    'rollback-app-stopped': '1.0.0',
    'rollback-config-migrated': '1.0.0',
    'rollback-db-migrated': '1.0.0',
    'rollback-switched': '1.0.0',
    'rollback-committed': '1.0.0',
  } as const satisfies Record<CrashPoint, '1.0.0' | '2.0.0'>;
  const updatePoints = CRASH_POINTS.filter((p) => !p.startsWith('rollback-'));
  const rollbackPoints = CRASH_POINTS.filter((p) => p.startsWith('rollback-'));

  async function instanceAt(version: '1.0.0' | '2.0.0'): Promise<string> {
    const root = await installRoot();
    const r = await install({
      root,
      feed: feed.url,
      channel: 'stable',
      trustedRoot: feed.rootFile,
      port: await freePort(),
      version: '1.0.0',
    });
    assert.equal(r.outcome, 'updated', r.reason);
    if (version === '2.0.0') assert.equal((await (await Instance.open(root)).update()).outcome, 'updated');
    return root;
  }

  async function expectConsistent(root: string, allowed: string[], point: string): Promise<string> {
    const inst = await Instance.open(root);
    await inst.exclusive(() => Promise.resolve()); // recovery runs first, under the lock
    const c = await inst.consistency();
    assert.deepEqual(c.problems, [], `after a crash at ${point}`);
    assert.ok(
      allowed.includes(c.link ?? ''),
      `after a crash at ${point}: on ${c.link}, expected one of ${allowed.join(', ')}`,
    );
    const { manifest, dir } = await inst.manifestOf(c.link!);
    const { waitHealthy } = await import('../src/agent/health.ts');
    const { run, health } = inst.runtime(c.link!, dir, manifest);
    await inst.app.start(run);
    try {
      assert.ok((await waitHealthy(health)).healthy, `${c.link} is healthy after a crash at ${point}`);
    } finally {
      await inst.app.stop();
    }
    return c.link!;
  }

  for (const point of updatePoints) {
    it(`update, killed after "${point}"`, async () => {
      const root = await instanceAt('1.0.0');
      const r = await runCli(['update', '--root', root], { env: { SLIPWAY_CRASH_AT: point } });
      assert.equal(r.status, -1, `the updater was killed (status ${r.status}, ${r.stderr})`);
      const landed = await expectConsistent(root, ['1.0.0', '2.0.0'], point);
      assert.equal(landed, LANDS_ON[point]);
      // And the update then completes.
      const again = await runCli(['update', '--root', root, '--force', '--json']);
      assert.equal(again.status, 0, again.stderr);
      await expectConsistent(root, ['2.0.0'], `${point}, then update --force`);
    });
  }

  for (const point of rollbackPoints) {
    it(`rollback, killed after "${point}"`, async () => {
      const root = await instanceAt('2.0.0');
      const r = await runCli(['rollback', '--root', root], { env: { SLIPWAY_CRASH_AT: point } });
      assert.equal(r.status, -1, `the rollback was killed (status ${r.status}, ${r.stderr})`);
      // An interrupted rollback is finished: the operator asked to leave 2.0.0.
      assert.equal(await expectConsistent(root, ['1.0.0'], point), LANDS_ON[point]);
    });
  }

  // The first install killed midway (install.sh cut off): run again, it installs, not "held".
  for (const point of ['begun', 'switched', 'healthy'] as const) {
    it(`install, killed after "${point}", then run again: installed`, async () => {
      const root = await installRoot();
      const args = ['install', '--root', root, '--feed', feed.url, '--trusted-root', feed.rootFile];
      const port = String(await freePort());
      const r = await runCli([...args, '--port', port], { env: { SLIPWAY_CRASH_AT: point } });
      assert.equal(r.status, -1, `the installer was killed (status ${r.status}, ${r.stderr})`);
      const again = await runCli([...args, '--port', port, '--json']);
      assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
      assert.equal((await (await Instance.open(root)).state()).current, '2.0.0');
      await expectConsistent(root, ['2.0.0'], `install killed after ${point}, then run again`);
    });
  }

  it('has an expected outcome for every crash point, and no outcome for a point that does not exist', () => {
    assert.deepEqual(Object.keys(LANDS_ON).sort(), [...CRASH_POINTS].sort());
  });
});
