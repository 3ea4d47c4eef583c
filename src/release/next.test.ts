import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, parseConfig } from '../core/config/parse.ts';
import { SlipwayError } from '../core/errors.ts';
import { ScratchRepo } from '../testing/scratch-repo.ts';
import { runGit } from '../git/run.ts';
import { scratchRepo, tempDir } from '../../test/helpers.ts';
import { computeNext } from './next.ts';

const next = (cwd: string, channel = 'stable', config = defaultConfig()) =>
  computeNext({ cwd, config, channel, releaseAs: null });

describe('computeNext on a real repository', () => {
  it('proposes initialVersion when there is no tag', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first');
    const r = await next(repo.dir);
    assert.deepEqual([r.current, r.next, r.tag, r.bump], [null, '0.1.0', 'v0.1.0', 'minor']);
  });

  it('reads only the commits since the last release', async () => {
    const repo = await scratchRepo();
    for (let i = 0; i < 20; i++) await repo.commit(`feat: old ${i}`);
    await repo.tag('v1.4.0');
    await repo.commit('fix: a');
    await repo.commit('docs: b');
    const r = await next(repo.dir);
    assert.deepEqual([r.current, r.next, r.commitsRead], ['1.4.0', '1.4.1', 2]);
    assert.deepEqual(
      r.selection.included.map((c) => c.subject),
      ['b', 'a'],
    );
  });

  it('skips tags that are not semver and lists them', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    await repo.commit('feat: b');
    await repo.tag('vnext');
    await repo.tag('v2');
    await repo.tag('release-candidate');
    const r = await next(repo.dir);
    assert.deepEqual([r.current, r.next], ['1.0.0', '1.1.0']);
    assert.deepEqual(r.skippedTags.sort(), ['v2', 'vnext']);
  });

  it('honours the tag prefix', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v9.0.0');
    await repo.tag('app@1.0.0');
    await repo.commit('fix: b');
    const r = await next(repo.dir, 'stable', parseConfig('{"tagPrefix": "app@"}'));
    assert.deepEqual([r.current, r.tag], ['1.0.0', 'app@1.0.1']);
  });

  it('refuses an empty repository with a clear error', async () => {
    const repo = await scratchRepo();
    await assert.rejects(next(repo.dir), (e: SlipwayError) => e.code === 'EMPTY_REPOSITORY');
  });

  it('refuses a folder that is not a repository', async () => {
    await assert.rejects(
      next(await tempDir()),
      (e: SlipwayError) => e.code === 'NOT_A_REPOSITORY' && /--cwd/.test(e.message),
    );
  });

  it('tells a shallow clone to fetch the full history', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    await repo.commit('feat: b');
    const clone = `${await tempDir()}/clone`;
    await runGit(repo.dir, ['clone', '-q', '--depth', '1', `file://${repo.dir}`, clone]);
    await assert.rejects(
      next(clone),
      (e: SlipwayError) => e.code === 'SHALLOW_CLONE' && /git fetch --unshallow/.test(e.message),
    );
  });

  it('works on a detached HEAD', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    const fix = await repo.commit('fix: b');
    await repo.commit('feat: c');
    await repo.git('checkout', '-q', '--detach', fix);
    assert.equal((await next(repo.dir)).next, '1.0.1');
  });

  it('counts a merged branch once', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    await repo.git('checkout', '-q', '-b', 'topic');
    await repo.commit('fix(api): handle empty body');
    await repo.git('checkout', '-q', 'main');
    await repo.commit('docs: meanwhile');
    await repo.merge('topic', 'Merge branch topic');
    const r = await next(repo.dir);
    assert.equal(r.next, '1.0.1');
    assert.deepEqual(r.selection.included.map((c) => c.subject).sort(), ['handle empty body', 'meanwhile']);
    assert.equal(r.selection.skippedMerges.length, 1);
    assert.equal(r.selection.nonConventional.length, 0);
  });

  it('ignores a release tag HEAD cannot reach (a hotfix branch)', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v0.4.2');
    await repo.git('checkout', '-q', '-b', 'hotfix/v0.4.3');
    await repo.commit('fix: urgent');
    await repo.tag('v0.4.3');
    await repo.git('checkout', '-q', 'main');
    await repo.commit('feat: next thing');
    const r = await next(repo.dir);
    assert.deepEqual([r.current, r.next], ['0.4.2', '0.5.0']);
    // On the hotfix branch, the hotfix is the current release.
    await repo.git('checkout', '-q', 'hotfix/v0.4.3');
    await repo.commit('fix: another');
    assert.deepEqual([(await next(repo.dir)).current, (await next(repo.dir)).next], ['0.4.3', '0.4.4']);
  });

  it('cancels a feature reverted in the same range', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    const feat = await repo.commit('feat: risky', { 'risky.txt': 'x\n' });
    await repo.commit('fix: small');
    await repo.git('revert', '--no-edit', feat);
    const r = await next(repo.dir);
    assert.deepEqual([r.next, r.selection.cancelled.length], ['1.0.1', 1]);
  });

  describe('prerelease channels', () => {
    async function betaRepo(): Promise<ScratchRepo> {
      const repo = await scratchRepo();
      await repo.commit('feat: a');
      await repo.tag('v1.2.0');
      await repo.commit('feat: b');
      return repo;
    }
    it('numbers betas from the existing tags', async () => {
      const repo = await betaRepo();
      assert.equal((await next(repo.dir, 'beta')).next, '1.3.0-beta.1');
      await repo.tag('v1.3.0-beta.1');
      assert.equal((await next(repo.dir, 'beta')).next, null, 'nothing new since beta.1');
      await repo.commit('fix: c');
      const r = await next(repo.dir, 'beta');
      assert.deepEqual([r.current, r.next], ['1.3.0-beta.1', '1.3.0-beta.2']);
      // Stable gathers everything since 1.2.0.
      const s = await next(repo.dir);
      assert.deepEqual([s.current, s.next, s.selection.included.length], ['1.2.0', '1.3.0', 2]);
    });
    it('gives a nightly that sorts after the beta it builds on', async () => {
      const repo = await betaRepo();
      await repo.tag('v1.3.0-beta.1');
      await repo.commit('fix: c');
      const r = await next(repo.dir, 'nightly');
      assert.match(r.next!, /^1\.3\.0-beta\.1\.nightly\.2026\d{4}\.2\.g[0-9a-f]{7}$/);
    });
  });
});
