import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lifecyclePath } from '../src/core/lifecycle/feed.ts';
import { lifecycleTable } from '../src/core/lifecycle/lifecycle.ts';
import { changeFeed } from '../src/feed/session.ts';
import { writeFeedAdvisories } from '../src/release/advisory-feed.ts';
import { installFrom, sampleAdvisory, sampleFeed } from './agent-helpers.ts';
import { runCli } from './helpers.ts';

/** Advisories in the signed feed: an installed instance knows whether its own version is affected. */
describe('advisories in the feed', () => {
  it('update check says which advisory affects the installed version and which release fixes it', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '0.4.1', schema: 1 });
    const { root } = await installFrom(feed);
    await feed.release(
      { version: '0.4.3', schema: 1 },
      { security: { severity: 'critical', advisory: 'CVE-2026-9999' } },
    );
    const advisory = sampleAdvisory({
      id: 'SAMPLE-SA-2026-001',
      aliases: ['CVE-2026-9999'],
      summary: 'Path traversal in the file API',
      severity: 'critical',
      introduced: '0.4.0',
      fixed: '0.4.3',
    });
    const first = await writeFeedAdvisories(feed.store, feed.keys, [advisory], { now: new Date() });
    assert.equal(first.changed, true);
    assert.equal(
      (await writeFeedAdvisories(feed.store, feed.keys, [advisory], { now: new Date() })).changed,
      false,
      'the same list again changes nothing',
    );

    const text = await runCli(['update', 'check', '--root', root]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /available: 0\.4\.3 {2}SECURITY \(critical\)/);
    assert.match(
      text.stdout,
      /0\.4\.1 is affected by SAMPLE-SA-2026-001 \(CVE-2026-9999\) \(critical\): Path traversal in the file API; fixed in 0\.4\.3/,
    );
    const json = JSON.parse((await runCli(['update', 'check', '--root', root, '--json'])).stdout) as {
      advisories: { id: string; fixedIn: string[] }[];
    };
    assert.deepEqual(
      json.advisories.map((a) => [a.id, a.fixedIn]),
      [['SAMPLE-SA-2026-001', ['0.4.3']]],
    );
    // The channel's lifecycle table: 0.4.x is security-only once 0.5.x is out.
    const cycles = lifecycleTable(
      [
        { version: '0.4.1', date: '2026-01-01' },
        { version: '0.5.0', date: '2026-06-01' },
      ],
      { supportMonths: 12, securityLines: null, line: 'major', eol: {} },
      '2026-12-01',
    );
    await changeFeed(feed.store, async (session) => {
      await session.putData('stable', lifecyclePath('stable'), JSON.stringify({ schema: 1, line: 'major', cycles }));
      await session.commit(feed.keys, new Date());
    });
    const warned = await runCli(['update', 'check', '--root', root]);
    assert.match(
      warned.stdout,
      /warning: 0\.4\.1 is on v0\.4\.x, which gets security fixes only until 2027-06-01; move to v0\.5\.x \(0\.5\.0\)/,
    );

    // status (from what the last check recorded) and doctor (asking the feed) say the same.
    const status = await runCli(['status', '--root', root]);
    assert.match(status.stdout, /WARNING: 0\.4\.1 is affected by SAMPLE-SA-2026-001 .*fixed in 0\.4\.3/);
    assert.match(status.stdout, /WARNING: 0\.4\.1 is on v0\.4\.x, which gets security fixes only/);
    const doctor = await runCli(['doctor', '--root', root, '--json']);
    assert.equal(doctor.status, 1, 'an affected instance fails doctor');
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: unknown; detail: string }[] }).checks;
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    assert.equal(byName.advisories?.ok, false);
    assert.match(byName.advisories.detail, /SAMPLE-SA-2026-001.*fixed in 0\.4\.3/);
    assert.equal(byName.support?.ok, 'warn');
    assert.match(byName.support.detail, /move to v0\.5\.x/);

    // Once updated past the fix, nothing affects it.
    assert.equal((await runCli(['update', '--root', root])).status, 0);
    const after = JSON.parse((await runCli(['update', 'check', '--root', root, '--json'])).stdout) as {
      advisories: unknown[];
    };
    assert.deepEqual(after.advisories, []);
    const clean = await runCli(['status', '--root', root, '--json']);
    assert.deepEqual((JSON.parse(clean.stdout) as { warnings: string[] }).warnings, [
      '0.4.3 is on v0.4.x, which gets security fixes only until 2027-06-01; move to v0.5.x (0.5.0)',
    ]);
  });

  it('an advisory published after its fix makes that release a security update: it bypasses the window', async () => {
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1 });
    const { root } = await installFrom(feed);
    // A window that is not open now: an hour on the day after tomorrow.
    const day = new Date(Date.now() + 2 * 86_400_000).toUTCString().slice(0, 3);
    const set = await runCli(['config', 'set', 'update.maintenance-window', `${day} 01:00-02:00 UTC`, '--root', root]);
    assert.equal(set.status, 0, set.stderr);
    await feed.release({ version: '1.0.1', schema: 1 });
    type Check = { decision: { action: string; reason: string; security?: string | null } };
    const before = JSON.parse((await runCli(['update', 'check', '--root', root, '--json'])).stdout) as Check;
    assert.equal(before.decision.action, 'stage', before.decision.reason);

    const advisory = sampleAdvisory({
      id: 'SAMPLE-SA-2026-002',
      summary: 'Session fixation',
      severity: 'high',
      fixed: '1.0.1',
    });
    await writeFeedAdvisories(feed.store, feed.keys, [advisory], { now: new Date() });
    const after = JSON.parse((await runCli(['update', 'check', '--root', root, '--json'])).stdout) as Check;
    assert.equal(after.decision.action, 'apply-now');
    assert.equal(after.decision.security, 'high');
    assert.match(after.decision.reason, /fixes SAMPLE-SA-2026-002, which affect 1\.0\.0/);
  });
});
