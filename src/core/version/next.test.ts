import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import semver from 'semver';
import { parseCommit } from '../commit/parse.ts';
import type { ParsedCommit } from '../commit/types.ts';
import { defaultConfig, parseConfig } from '../config/parse.ts';
import { SlipwayError } from '../errors.ts';
import { selectCommits } from './bump.ts';
import { planVersion, type VersionPlanInput } from './next.ts';
import { nightlyVersion } from './prerelease.ts';

let n = 0;
/** Newest first, like git log. */
function commits(...messages: string[]): ParsedCommit[] {
  return messages.map((m) => {
    const [subject, ...rest] = m.split('\n\n');
    n++;
    return parseCommit({
      sha: n.toString(16).padStart(40, '0'),
      parents: ['x'],
      time: 1_790_000_000 + n,
      subject: subject!,
      body: rest.join('\n\n'),
    });
  });
}

function plan(overrides: Partial<VersionPlanInput>) {
  return planVersion({
    config: defaultConfig(),
    channel: 'stable',
    base: '1.2.3',
    current: '1.2.3',
    commits: [],
    sinceCurrent: null,
    existing: ['1.2.3'],
    releaseAs: null,
    head: { sha: 'abcdef0123456789abcdef0123456789abcdef01', time: Date.UTC(2026, 10, 22) / 1000 },
    ...overrides,
  });
}

describe('planVersion', () => {
  describe('from 1.0.0 on', () => {
    it('bumps major for a breaking change', () => {
      const p = plan({ commits: commits('fix: a', 'feat!: b') });
      assert.deepEqual([p.next, p.bump], ['2.0.0', 'major']);
      assert.deepEqual(
        p.deciding.map((c) => c.subject),
        ['b'],
      );
    });
    it('bumps minor for a feature, patch for fix/perf/security/revert', () => {
      assert.equal(plan({ commits: commits('feat: a', 'fix: b') }).next, '1.3.0');
      for (const t of ['fix', 'perf', 'security', 'revert'])
        assert.equal(plan({ commits: commits(`${t}: x`) }).next, '1.2.4', t);
    });
    it('makes no release for docs, chore, ci and commits that are not conventional', () => {
      const p = plan({ commits: commits('docs: a', 'chore: b', 'Update README') });
      assert.deepEqual([p.next, p.bump], [null, null]);
      assert.equal(p.selection.nonConventional.length, 1);
    });
    it('follows a configured type table', () => {
      const config = parseConfig(
        '{"types": {"docs": {"bump": "patch", "section": "Changed"}, "feat": {"bump": "patch"}}}',
      );
      assert.equal(plan({ config, commits: commits('docs: a') }).next, '1.2.4');
      assert.equal(plan({ config, commits: commits('feat: a') }).next, '1.2.4');
    });
    it('asks a minor for a Deprecated: footer', () => {
      assert.equal(plan({ commits: commits('fix: x\n\nDeprecated: old flag') }).next, '1.3.0');
    });
  });

  describe('when on 0.x', () => {
    const zero = { base: '0.4.2', current: '0.4.2', existing: ['0.4.2'] };
    it('bumps the minor for a breaking change', () => {
      assert.equal(plan({ ...zero, commits: commits('feat!: break') }).next, '0.5.0');
      assert.equal(plan({ ...zero, commits: commits('fix: x\n\nBREAKING CHANGE: y') }).next, '0.5.0');
    });
    it('bumps the minor for a feature and the patch for a fix', () => {
      assert.equal(plan({ ...zero, commits: commits('feat: a') }).next, '0.5.0');
      assert.equal(plan({ ...zero, commits: commits('fix: a') }).next, '0.4.3');
    });
    it('goes to 1.0.0 only when asked: --release-as or a Release-As footer', () => {
      assert.equal(plan({ ...zero, commits: commits('feat!: a'), releaseAs: '1.0.0' }).next, '1.0.0');
      const p = plan({ ...zero, commits: commits('chore: ready\n\nRelease-As: 1.0.0') });
      assert.deepEqual([p.next, p.bump, p.reason], ['1.0.0', 'major', 'Release-As: 1.0.0 footer']);
    });
  });

  it('starts at initialVersion with no release tag', () => {
    assert.equal(plan({ base: null, current: null, existing: [], commits: commits('fix: a') }).next, '0.1.0');
  });

  it('refuses a Release-As that is not higher than the current release', () => {
    assert.throws(
      () => plan({ releaseAs: '1.2.3' }),
      (e: SlipwayError) => e.code === 'RELEASE_AS_NOT_GREATER',
    );
    assert.throws(
      () => plan({ releaseAs: 'one' }),
      (e: SlipwayError) => e.code === 'INVALID_RELEASE_AS',
    );
  });

  it('refuses a channel that does not exist', () => {
    assert.throws(
      () => plan({ channel: 'edge' }),
      (e: SlipwayError) => e.code === 'UNKNOWN_CHANNEL' && /nightly, beta, stable/.test(e.message),
    );
  });

  describe('on the beta channel', () => {
    it('starts at beta.1 and continues the numbering', () => {
      assert.equal(plan({ channel: 'beta', commits: commits('feat: a') }).next, '1.3.0-beta.1');
      const c = commits('fix: new', 'feat: a');
      const p = plan({
        channel: 'beta',
        current: '1.3.0-beta.1',
        existing: ['1.2.3', '1.3.0-beta.1'],
        commits: c,
        sinceCurrent: new Set([c[0]!.sha]),
      });
      assert.equal(p.next, '1.3.0-beta.2');
    });
    it('restarts the numbering when the target version changes', () => {
      const c = commits('feat!: now breaking', 'feat: a');
      const p = plan({
        channel: 'beta',
        current: '1.3.0-beta.2',
        existing: ['1.2.3', '1.3.0-beta.1', '1.3.0-beta.2'],
        commits: c,
        sinceCurrent: new Set([c[0]!.sha]),
      });
      assert.equal(p.next, '2.0.0-beta.1');
    });
    it('makes no beta when nothing new landed since the last one', () => {
      const c = commits('docs: only docs', 'feat: a');
      const p = plan({
        channel: 'beta',
        current: '1.3.0-beta.1',
        existing: ['1.2.3', '1.3.0-beta.1'],
        commits: c,
        sinceCurrent: new Set([c[0]!.sha]),
      });
      assert.equal(p.next, null);
    });
  });

  describe('on the nightly channel', () => {
    it('carries the commit date and short commit, after the beta it builds on', () => {
      const p = plan({
        channel: 'nightly',
        current: '1.3.0-beta.2',
        existing: ['1.2.3', '1.3.0-beta.1', '1.3.0-beta.2'],
        commits: commits('feat: a', 'fix: b'),
      });
      assert.equal(p.next, '1.3.0-beta.2.nightly.20261122.2.gabcdef0');
      assert.ok(semver.gt(p.next, '1.3.0-beta.2') && semver.lt(p.next, '1.3.0-beta.3'));
    });
    it('sorts after the stable release and before the first beta when there is no beta yet', () => {
      const v = plan({ channel: 'nightly', commits: commits('feat: a') }).next!;
      assert.equal(v, '1.3.0-beta.0.nightly.20261122.1.gabcdef0');
      assert.ok(semver.gt(v, '1.2.3') && semver.lt(v, '1.3.0-beta.1'));
    });
    it('sorts later builds of the main branch higher, whatever the shas', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 5000 }),
          fc.integer({ min: 1, max: 500 }),
          fc.stringMatching(/^[0-9a-f]{40}$/),
          fc.stringMatching(/^[0-9a-f]{40}$/),
          fc.integer({ min: 0, max: 86400 * 30 }),
          (d, extra, a, b, later) => {
            const t = Date.UTC(2026, 10, 1) / 1000;
            const one = nightlyVersion({
              target: '1.3.0',
              anchorChannel: 'beta',
              existing: [],
              head: { sha: a, time: t },
              distance: d,
            });
            const two = nightlyVersion({
              target: '1.3.0',
              anchorChannel: 'beta',
              existing: [],
              head: { sha: b, time: t + later },
              distance: d + extra,
            });
            assert.ok(semver.valid(one) && semver.valid(two));
            assert.ok(semver.gt(two, one), `${two} > ${one}`);
          },
        ),
      );
    });
  });
});

describe('selectCommits', () => {
  it('cancels a commit and its revert when both are in range', () => {
    const [feat] = commits('feat: add import');
    const [revert] = commits(`Revert "feat: add import"\n\nThis reverts commit ${feat!.sha}.`);
    const s = selectCommits([revert!, feat!]);
    assert.deepEqual(s.included, []);
    assert.equal(s.cancelled.length, 1);
    assert.equal(plan({ commits: [revert!, feat!] }).next, null);
  });
  it('brings the original back when the revert is reverted', () => {
    const [feat] = commits('feat: add import');
    const [revert] = commits(`Revert "feat: add import"\n\nThis reverts commit ${feat!.sha}.`);
    const [again] = commits(`Revert "Revert "feat: add import""\n\nThis reverts commit ${revert!.sha}.`);
    assert.deepEqual(
      selectCommits([again!, revert!, feat!]).included.map((c) => c.sha),
      [feat!.sha],
    );
  });
  it('keeps a revert of something released earlier as a patch', () => {
    const [revert] = commits('Revert "feat: old"\n\nThis reverts commit 1234567890abcdef1234567890abcdef12345678.');
    assert.equal(plan({ commits: [revert!] }).next, '1.2.4');
  });
  it('counts a merge once', () => {
    const [merge] = commits('Merge pull request #12 from a/b');
    const [conventionalMerge] = commits('feat: add import (#12)');
    merge!.merge = true;
    conventionalMerge!.merge = true;
    const [feat] = commits('feat: add import (#12)');
    const s = selectCommits([merge!, conventionalMerge!, feat!]);
    assert.deepEqual(
      s.included.map((c) => c.sha),
      [feat!.sha],
    );
    assert.equal(s.skippedMerges.length, 2);
    assert.equal(s.nonConventional.length, 0);
  });
});

describe('planning that never collides (issue: versions across branches)', () => {
  it('passes over a version a tag has already, at the same level, and says so', () => {
    const p = plan({ commits: commits('fix: on main'), existing: ['1.2.3', '1.2.4'] });
    assert.equal(p.next, '1.2.5');
    assert.deepEqual(p.taken, ['1.2.4']);
    assert.match(p.reason, /1\.2\.4 is tagged already, so 1\.2\.5/);
    const beta = plan({ channel: 'beta', commits: commits('fix: on main'), existing: ['1.2.3', '1.2.4'] });
    assert.equal(beta.next, '1.2.5-beta.1', 'a beta is never cut below a stable that exists');
  });

  it('remembers a prerelease line: after 1.0.0-beta.1, stable plans 1.0.0, not the next 0.x', () => {
    const p = plan({ base: '0.2.0', current: '0.2.0', commits: commits('feat: x'), prereleaseLine: '1.0.0-beta.1' });
    assert.equal(p.next, '1.0.0');
    assert.match(p.reason, /continues the 1\.0\.0 prerelease line of 1\.0\.0-beta\.1/);
    const graduate = plan({
      base: '0.2.0',
      current: '0.2.0',
      commits: commits('chore(release): v1.0.0-beta.1'),
      prereleaseLine: '1.0.0-beta.1',
    });
    assert.equal(graduate.next, '1.0.0', 'with nothing new since the beta, stable graduates it');
  });

  it('keeps a maintenance branch in its line and names the commit that would leave it', () => {
    const fix = plan({ commits: commits('fix: x'), line: { branch: '1.2.x', major: 1, minor: 2 } });
    assert.equal(fix.next, '1.2.4');
    assert.throws(
      () => plan({ commits: commits('feat: new thing'), line: { branch: '1.2.x', major: 1, minor: 2 } }),
      (e: unknown) =>
        e instanceof SlipwayError &&
        e.code === 'OUTSIDE_LINE' &&
        /1\.2\.x releases only 1\.2\.x versions, but the commits make 1\.3\.0 \([0-9a-f]{7} "feat: new thing"\)/.test(
          e.message,
        ),
    );
    const major = plan({ commits: commits('feat: new thing'), line: { branch: '1.x', major: 1, minor: null } });
    assert.equal(major.next, '1.3.0', 'a 1.x branch takes minors');
  });

  it('dependency updates follow the deps policy: a patch by default, configurable', () => {
    for (const m of ['fix(deps): bump redis to 5.0', 'chore(deps): bump pytest', 'build(deps): bump hatchling'])
      assert.equal(plan({ commits: commits(m) }).next, '1.2.4', m);
    assert.equal(plan({ commits: commits('chore: tidy') }).next, null);
    const off = plan({ config: parseConfig('{"deps": {"bump": null}}'), commits: commits('chore(deps): bump x') });
    assert.equal(off.next, null);
    const minor = plan({
      config: parseConfig('{"deps": {"bump": "minor", "scopes": ["deps", "deps-dev"]}}'),
      commits: commits('build(deps-dev): x'),
    });
    assert.equal(minor.next, '1.3.0');
  });
});
