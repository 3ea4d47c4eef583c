import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, scratchRepo } from './helpers.ts';

/** The planning and parsing faults a maintainer of the Python library in the reference ran into. */
describe('planning on real histories', () => {
  it('never proposes a version tagged on another branch: next, bump next and changelog --next agree on the next free one', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first', { 'package.json': '{\n  "name": "x",\n  "version": "1.0.0"\n}\n' });
    await repo.tag('v1.0.0', { annotated: true });
    await repo.git('checkout', '-q', '-b', 'hotfix/1.0.x');
    await repo.commit('fix: urgent', { 'package.json': '{\n  "name": "x",\n  "version": "1.0.1"\n}\n' });
    await repo.tag('v1.0.1', { annotated: true });
    await repo.git('checkout', '-q', 'main');
    await repo.commit('fix: on main');

    const next = await runCli(['next', '--json'], { cwd: repo.dir });
    assert.equal(next.status, 0, next.stderr);
    const data = JSON.parse(next.stdout) as { next: string; taken: unknown; reason: string };
    assert.equal(data.next, '1.0.2');
    assert.deepEqual(data.taken, [{ tag: 'v1.0.1', branches: ['hotfix/1.0.x'] }]);
    assert.match(data.reason, /1\.0\.1 is tagged already, so 1\.0\.2 \(v1\.0\.1 is on hotfix\/1\.0\.x\)/);

    const bump = await runCli(['bump', 'next'], { cwd: repo.dir });
    assert.equal(bump.status, 0, bump.stderr);
    assert.match(await readFile(join(repo.dir, 'package.json'), 'utf8'), /"version": "1\.0\.2"/);
    const changelog = await runCli(['changelog', '--next'], { cwd: repo.dir });
    assert.equal(changelog.status, 0, changelog.stderr);
    assert.match(
      await readFile(join(repo.dir, 'CHANGELOG.md'), 'utf8'),
      /## \[1\.0\.2\] - \d{4}-\d{2}-\d{2}\n\n### Fixed\n\n- on main/,
    );
  });

  it('remembers --release-as: after 1.0.0-beta.1, stable next is 1.0.0, not 0.3.0', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v0.2.0');
    await repo.commit('feat: stable api');
    const beta = await runCli(['next', '--channel', 'beta', '--release-as', '1.0.0', '--json'], { cwd: repo.dir });
    assert.equal((JSON.parse(beta.stdout) as { next: string }).next, '1.0.0-beta.1');
    await repo.tag('v1.0.0-beta.1');
    const stable = await runCli(['next', '--json'], { cwd: repo.dir });
    const s = JSON.parse(stable.stdout) as { next: string; reason: string };
    assert.equal(s.next, '1.0.0');
    assert.match(s.reason, /prerelease line of 1\.0\.0-beta\.1/);
    const beta2 = await runCli(['next', '--channel', 'beta', '--json'], { cwd: repo.dir });
    assert.equal((JSON.parse(beta2.stdout) as { next: string | null }).next, null, 'nothing new since beta.1');
  });

  it('a git Revert of a fix released earlier makes a patch release, as the README says', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: one');
    await repo.tag('v1.0.0');
    const fix = await repo.commit('fix: thing');
    await repo.tag('v1.0.1');
    await repo.commit(`Revert "fix: thing"\n\nThis reverts commit ${fix}.`);
    const r = await runCli(['next', '--json'], { cwd: repo.dir });
    const data = JSON.parse(r.stdout) as { next: string; commits: { type: string }[] };
    assert.equal(data.next, '1.0.2');
    assert.equal(data.commits[0]!.type, 'revert');
  });

  it('says so when tags lack the v prefix, and suggests tagPrefix', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: one');
    await repo.tag('1.0.0');
    await repo.tag('1.1.0');
    await repo.commit('fix: two');
    const r = await runCli(['next'], { cwd: repo.dir });
    assert.equal(r.status, 0);
    assert.match(
      r.stderr,
      /warning: 2 tags \(1\.0\.0, 1\.1\.0\) look like releases but do not start with the tag prefix "v"/,
    );
    assert.match(r.stderr, /set "tagPrefix": "" in slipway\.json/);
    await repo.write('slipway.json', '{"tagPrefix": ""}\n');
    const fixed = await runCli(['next', '--json'], { cwd: repo.dir });
    assert.equal((JSON.parse(fixed.stdout) as { next: string }).next, '1.1.1');
  });

  it('notes for a version never released fail; check-version takes a PEP 440 tag; init finds src/<pkg>/version.py', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: one', {
      'pyproject.toml': '[project]\nname = "sentinel"\nversion = "1.0.0b1"\n',
      'src/aiogram_sentinel/version.py': '__version__ = "1.0.0b1"\n',
      'src/aiogram_sentinel/__init__.py': 'from .version import __version__\n',
      'tests/__init__.py': '__version__ = "0"\n',
    });
    await repo.tag('v1.0.0b1');
    const notes = await runCli(['notes', '9.9.9'], { cwd: repo.dir });
    assert.equal(notes.status, 1);
    assert.match(notes.stderr, /9\.9\.9 was never released \(no tag v9\.9\.9\) and is not the next stable release/);

    const init = await runCli(['init', '--dry-run', '--json'], { cwd: repo.dir });
    const config = (JSON.parse(init.stdout) as { config: { versionFiles: string[] } }).config;
    assert.deepEqual(config.versionFiles, ['pyproject.toml', 'src/aiogram_sentinel/version.py']);
    await runCli(['init'], { cwd: repo.dir });

    const check = await runCli(['check-version', '--tag', 'v1.0.0b1'], { cwd: repo.dir });
    assert.equal(check.status, 0, check.stderr + check.stdout);
    const wrong = await runCli(['check-version', '--tag', 'v1.0.0rc1'], { cwd: repo.dir });
    assert.equal(wrong.status, 1);
  });

  it('the deprecation policy: a removal needs a deprecation in an earlier minor (next warns, release refuses)', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first', { '.gitignore': '.slipway/\n' });
    await repo.tag('v1.0.0');
    await repo.commit('feat: modern sites API\n\nDeprecated: `POST /api/v1/sites`, use POST /api/v2/sites');
    await repo.tag('v1.1.0');
    await repo.commit('remove: POST /api/v1/sites');
    await repo.commit('remove: the --legacy flag\n\nDeprecated: the --legacy flag');
    const next = await runCli(['next', '--json'], { cwd: repo.dir });
    assert.equal(next.status, 0, next.stderr);
    const data = JSON.parse(next.stdout) as { next: string; warnings: string[] };
    assert.equal(data.next, '1.2.0');
    assert.equal(
      data.warnings.length,
      1,
      'the announced removal passes; the one deprecated in the same release does not',
    );
    assert.match(
      data.warnings[0]!,
      /removes "the --legacy flag", which no release 1 or more minors earlier deprecated/,
    );
    const r = await runCli(['release', '--dry-run'], { cwd: repo.dir });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /1\.2\.0 removes what was never deprecated 1 minor release\(s\) before/);
    assert.match(r.stderr, /: the --legacy flag/);
    assert.doesNotMatch(r.stderr, /api\/v1\/sites/);
    await repo.write('slipway.json', '{ "deprecation": { "minMinors": 0 } }\n');
    await repo.git('add', 'slipway.json');
    await repo.git('commit', '-qm', 'chore: policy off');
    const off = await runCli(['release', '--dry-run'], { cwd: repo.dir });
    assert.equal(off.status, 0, off.stderr);
  });

  it('a new major writes its UPGRADING.md section in the release commit, and the notes link to it', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: first', {
      '.gitignore': '.slipway/\n',
      'slipway.json': '{ "upgrading": { "steps": ["Run `aipanel update`: migrations apply automatically."] } }\n',
    });
    await repo.tag('v1.0.0');
    await repo.commit(
      'feat(config)!: rename server.ssl_mode to server.tls.mode\n\nBREAKING CHANGE: Automatic migration handles this. No action needed.',
    );
    await repo.commit('feat(api)!: drop the v1 sites endpoint');
    const dry = await runCli(['release', '--dry-run', '--json'], { cwd: repo.dir });
    assert.equal(dry.status, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as { plan: { checks: string[]; steps: { step: string; does: string }[] } };
    assert.ok(
      planned.plan.checks.some((c) => /"drop the v1 sites endpoint" is breaking and has no migration note/.test(c)),
    );
    assert.match(
      planned.plan.steps.find((s) => s.step === 'changelog')!.does,
      /UPGRADING\.md: Upgrading from v1\.x to v2\.0/,
    );
    const r = await runCli(['release'], { cwd: repo.dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(await repo.git('show', '--stat', '--format=', 'HEAD'), /UPGRADING\.md/);
    const guide = await readFile(join(repo.dir, 'UPGRADING.md'), 'utf8');
    assert.match(
      guide,
      /## Upgrading from v1\.x to v2\.0\n\n### Breaking changes\n\n1\. \*\*config: rename server\.ssl_mode to server\.tls\.mode\*\*\n   - Automatic migration handles this\. No action needed\.\n\n2\. \*\*api: drop the v1 sites endpoint\*\*/,
    );
    assert.match(guide, /### Migration steps\n\n1\. Run `aipanel update`/);
    const notes = await runCli(['notes', '2.0.0'], { cwd: repo.dir });
    assert.equal(notes.status, 0, notes.stderr);
    assert.match(notes.stdout, /\(UPGRADING\.md#upgrading-from-v1x-to-v20\)/);
  });
});
