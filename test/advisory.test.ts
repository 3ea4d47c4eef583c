import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAffected, type OsvAdvisory } from '../src/core/advisory/osv.ts';
import { runCli, scratchRepo } from './helpers.ts';

/** The security lane: OSV advisories in a real repository, ranges computed from its tags. */
describe('security advisories (OSV)', () => {
  it('computes the ranges across lines from the fixing commits, stays private until published, and names it in the notes then', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first', {
      '.gitignore': '.slipway/\n',
      'package.json': '{ "name": "aipanel", "version": "1.0.0" }\n',
      'slipway.json': `${JSON.stringify({ name: 'aiPanel', versionFiles: ['package.json'], release: { feed: { dir: '.slipway/feed', keys: '.slipway/keys' } } })}\n`,
    });
    await repo.tag('v1.0.0');
    const flaw = await repo.commit('feat: log viewer');
    await repo.tag('v1.4.0');
    await repo.commit('feat!: new API');
    await repo.tag('v2.0.0');
    const cli = (...args: string[]) =>
      runCli(args, { cwd: repo.dir, env: { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' } });
    assert.equal((await cli('keys', 'init', '--keys', '.slipway/keys')).status, 0);
    assert.equal((await cli('feed', 'init', '--keys', '.slipway/keys', '--feed', '.slipway/feed')).status, 0);

    const created = await cli(
      'advisory',
      'new',
      '--severity',
      'high',
      '--summary',
      'Stored XSS in the log viewer',
      '--cve',
      'CVE-2026-12345',
      '--cvss',
      'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:N',
      '--introduced',
      flaw,
      '--json',
    );
    assert.equal(created.status, 0, created.stderr);
    const { advisory } = JSON.parse(created.stdout) as { advisory: OsvAdvisory };
    assert.equal(advisory.id, `AIPANEL-SA-${new Date().getUTCFullYear()}-001`);
    assert.deepEqual(advisory.affected[0]!.package, { ecosystem: 'npm', name: 'aiPanel' });
    assert.deepEqual(advisory.affected[0]!.ranges, [{ type: 'SEMVER', events: [{ introduced: '1.4.0' }] }]);
    const id = advisory.id;

    // Open and inside the SLA: exit 0; the status says how long it has been open.
    let status = await cli('security', 'status', '--json');
    assert.equal(status.status, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { open: number }).open, 1);

    // The fix on the 1.4.x maintenance line first: main's newest release is still affected.
    await repo.git('checkout', '-q', '-b', '1.4.x', 'v1.4.0');
    await repo.commit(`fix: escape log lines\n\nFixes-Advisory: ${id}\n(cherry picked from commit 0123456)`);
    await repo.tag('v1.4.1');
    await repo.git('checkout', '-q', 'main');
    const early = await cli('advisory', 'publish', id, '--dry-run');
    assert.equal(early.status, 1);
    assert.match(early.stderr, /still affects the newest release \(fixed so far in 1\.4\.1\)/);
    status = await cli('security', 'status', '--json');
    assert.equal((JSON.parse(status.stdout) as { open: number }).open, 1, 'open while main is affected');
    // Then on main. Prose that mentions the footer is no fix.
    await repo.commit(`docs: the ${'Fixes-Advisory'} footer goes on the fix\n\nNote: Fixes-Advisory: ${id} marks it.`);
    await repo.commit(`fix: escape log lines\n\nfixes-advisory: ${id}`);
    // next says what the notes will: a security release of the advisory's severity, not named under embargo.
    const next = JSON.parse((await cli('next', '--json')).stdout) as { security: unknown };
    assert.deepEqual(next.security, { severity: 'high', advisory: null });
    await repo.tag('v2.0.1');

    const shown = await cli('advisory', 'show', id);
    assert.equal(shown.status, 0, shown.stderr);
    const osv = JSON.parse(shown.stdout) as OsvAdvisory;
    assert.equal(osv.schema_version, '1.6.0');
    assert.deepEqual(osv.aliases, ['CVE-2026-12345']);
    assert.deepEqual(osv.severity, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:N' }]);
    assert.deepEqual(osv.affected[0]!.ranges, [
      { type: 'SEMVER', events: [{ introduced: '1.4.0' }, { fixed: '1.4.1' }] },
      { type: 'SEMVER', events: [{ introduced: '2.0.0' }, { fixed: '2.0.1' }] },
    ]);
    assert.deepEqual(
      ['1.0.0', '1.4.0', '1.4.1', '2.0.0', '2.0.1'].map((v) => isAffected(osv, v)),
      [false, true, false, true, false],
    );
    status = await cli('security', 'status', '--json');
    assert.equal((JSON.parse(status.stdout) as { open: number }).open, 0);

    // Under embargo the notes call 2.0.1 a security release without naming the advisory.
    let notes = await cli('notes', '2.0.1');
    assert.equal(notes.status, 0, notes.stderr);
    assert.match(notes.stdout, /\*\*Security release \(high\)\.\*\*/);
    assert.doesNotMatch(notes.stdout, /CVE-2026-12345|AIPANEL-SA/);
    const list = await cli('advisory', 'list');
    assert.match(list.stdout, new RegExp(`${id} +high +private +fixed in 1\\.4\\.1, 2\\.0\\.1`));

    const published = await cli('advisory', 'publish', id);
    assert.equal(published.status, 0, published.stderr);
    assert.match(published.stdout, /the feed's nightly, beta, stable carry it \(signed\)/);
    const verify = await cli('feed', 'verify', '--feed', '.slipway/feed');
    assert.equal(verify.status, 0, verify.stderr);
    const file = JSON.parse(await readFile(join(repo.dir, 'advisories', `${id}.json`), 'utf8')) as OsvAdvisory;
    assert.ok(file.published && file.database_specific.disclosed);
    notes = await cli('notes', '2.0.1');
    assert.match(notes.stdout, /\*\*Security release \(high, CVE-2026-12345\)\.\*\*/);
  });

  it('refuses bad input with what was expected, and keeps an embargo and the SLA', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first', { '.gitignore': '.slipway/\n' });
    await repo.tag('v1.0.0');
    const cli = (...args: string[]) => runCli(args, { cwd: repo.dir });
    const base = ['advisory', 'new', '--summary', 'x'];
    const cases: [string[], RegExp][] = [
      [[...base, '--severity', 'severe'], /--severity expects one of low, medium, high, critical, got "severe"/],
      [[...base, '--severity', 'low', '--cvss', 'CVSS:3.1/AV:Z'], /is not a CVSS vector; expected e\.g\. CVSS:3\.1/],
      [[...base, '--severity', 'low', '--cve', 'CVE-26-1'], /neither a CVE id \(CVE-2026-12345\)/],
      [
        [...base, '--severity', 'low', '--affected', '>=2.0.0 <1.0.0'],
        /is inverted: it starts at 2\.0\.0, after 1\.0\.0/,
      ],
      [[...base, '--severity', 'low', '--affected', '<1.4.3 || >=1.2.0 <2.0.0'], /its ranges overlap/],
      [[...base, '--severity', 'low', '--affected', 'before 1.4'], /"before" is not a bound/],
      [[...base, '--severity', 'low', '--disclosed', 'tomorrow'], /--disclosed expects an ISO 8601 time/],
      [[...base, '--severity', 'low', '--introduced', 'deadbeef'], /--introduced deadbeef is not a commit/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    }
    assert.deepEqual(
      (await cli('advisory', 'list', '--json')).stdout.includes('"advisories": []'),
      true,
      'nothing written',
    );

    const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const past = new Date(Date.now() - 72 * 3_600_000).toISOString();
    const a = await cli(...base, '--severity', 'critical', '--affected', '<1.0.1', '--disclosed', future, '--json');
    assert.equal(a.status, 0, a.stderr);
    const id = (JSON.parse(a.stdout) as { advisory: OsvAdvisory }).advisory.id;
    await repo.commit(`fix: it\n\nFixes-Advisory: ${id}`);
    const early = await cli('advisory', 'publish', id);
    assert.equal(early.status, 1);
    assert.match(early.stderr, /is under embargo until/);

    // Disclosed 72 h ago and not fixed: past the 48 h SLA, exit 1 (a scheduled CI check).
    const late = await cli(...base, '--severity', 'high', '--disclosed', past);
    assert.equal(late.status, 0, late.stderr);
    const status = await cli('security', 'status');
    assert.equal(status.status, 1);
    assert.match(status.stdout, /open for 7\d(\.\d)? h of 48 h: past the SLA/);
  });
});
