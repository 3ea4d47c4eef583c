import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FeedSession } from '../src/feed/session.ts';
import { openStore } from '../src/feed/store.ts';
import type { ScratchRepo } from '../src/testing/scratch-repo.ts';
import { BIN, runCli, scratchRepo, spawnCli, tempDir } from './helpers.ts';

const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };

/**
 * The Python library's strategy, written down: gates, a checklist confirmed in CI, two version
 * files, a two-platform build matrix (real tar.gz archives made by `tar`), the signed feed and
 * a push to a bare remote. Everything runs for real; nothing is stubbed.
 */
function strategy(
  extra: Record<string, unknown> = {},
  gate: string[] = ['node', '-e', 'console.log("42 passed")'],
  top: Record<string, unknown> = {},
) {
  return (base: string) => ({
    name: 'aiogram-sentinel',
    // The library publishes straight to stable; the panel's flow (beta first) is tested below.
    channels: ['stable'],
    ...top,
    versionFiles: ['pyproject.toml', 'src/sentinel/version.py'],
    release: {
      gates: [
        { name: 'tests', run: gate },
        { name: 'version', run: ['node', '-e', 'if (!process.env.SLIPWAY_VERSION) process.exit(3)'] },
      ],
      checklist: ['README.md updated', 'Migration guides updated (if needed)'],
      confirmed: true,
      build: [
        {
          name: 'archive',
          run: ['sh', 'build.sh', '{os}', '{arch}', '{version}'],
          matrix: { os: ['linux'], arch: ['amd64', 'arm64'] },
          artifacts: ['dist/sentinel-{version}-{os}-{arch}.tar.gz'],
        },
      ],
      feed: { dir: join(base, 'feed'), keys: join(base, 'keys') },
      push: 'origin',
      ...extra,
    },
  });
}
const PANEL = { channels: ['nightly', 'beta', 'stable'] };

const BUILD_SH = `#!/bin/sh
set -e
mkdir -p dist
[ -f fail-build ] && { echo "compiler exploded" >&2; exit 4; }
tar -czf "dist/sentinel-$3-$1-$2.tar.gz" -C src .
`;

async function project(configOf: (base: string) => Record<string, unknown> = strategy()) {
  const base = await tempDir();
  const config = configOf(base);
  const repo = await scratchRepo();
  const remote = join(base, 'remote.git');
  await repo.git('init', '-q', '--bare', remote);
  await repo.git('remote', 'add', 'origin', remote);
  await repo.commit('feat: rate limiting middleware', {
    'pyproject.toml': '[project]\nname = "aiogram-sentinel"\nversion = "0.1.0"\n',
    'src/sentinel/version.py': '__version__ = "0.1.0"\n',
    'src/sentinel/__init__.py': 'from .version import __version__\n',
    'build.sh': BUILD_SH,
    '.gitignore': 'dist/\n.slipway/\nfail-build\n',
    'slipway.json': `${JSON.stringify(config, null, 2)}\n`,
  });
  await repo.tag('v0.1.0', { annotated: true });
  await repo.git('push', '-q', 'origin', 'main', '--tags');
  const cli = (...args: string[]) => runCli(args, { cwd: repo.dir, env });
  const keys = join(base, 'keys');
  const feed = join(base, 'feed');
  assert.equal((await cli('keys', 'init', '--keys', keys)).status, 0);
  assert.equal((await cli('feed', 'init', '--keys', keys, '--feed', feed)).status, 0);
  return { repo, remote, cli, feed };
}

/** The signed manifest of a stable release, read through the feed as its tools read it. */
async function manifestOf(feed: string, version: string) {
  const session = await FeedSession.open(await openStore(feed));
  const m = await session.manifest('stable', version);
  assert.ok(m, `stable ${version} is in the feed`);
  return m;
}

/** The stable versions the feed lists. */
async function stableVersions(feed: string): Promise<string[]> {
  const session = await FeedSession.open(await openStore(feed));
  return (await session.index('stable')).releases.map((r) => r.version);
}

async function state(repo: ScratchRepo, remote: string) {
  const tags = (await repo.git('tag', '--list')).split('\n').filter((t) => t !== '');
  const remoteTags = (await repo.git('ls-remote', '--tags', remote))
    .split('\n')
    .filter((l) => l !== '' && !l.endsWith('^{}'));
  return {
    tags,
    remoteTags: remoteTags.map((l) => l.split('refs/tags/')[1]),
    releaseCommits: (await repo.git('log', '--format=%s')).split('\n').filter((s) => s.startsWith('chore(release)')),
    dirty: await repo.git('status', '--porcelain', '--untracked-files=no'),
    head: await repo.git('rev-parse', 'HEAD'),
  };
}

describe('slipway release (the whole written release process)', () => {
  it('gates, checklist, version files, changelog, release commit, annotated tag, build matrix, feed, push', async () => {
    const { repo, remote, cli, feed } = await project();
    await repo.commit('feat(redis): cluster backend\n\nCloses #12');
    await repo.commit('security(auth): constant-time token compare\n\nSeverity: high\nAdvisory: GHSA-abcd-efgh-ijkm');

    const dry = await cli('release', '--dry-run', '--json');
    assert.equal(dry.status, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as {
      outcome: string;
      version: string;
      plan: { steps: { step: string }[]; checks: string[] };
    };
    assert.equal(planned.outcome, 'planned');
    assert.equal(planned.version, '0.2.0');
    assert.deepEqual(
      planned.plan.steps.map((s) => s.step),
      [
        'gates',
        'checklist',
        'version-files',
        'changelog',
        'commit',
        'tag',
        'build',
        'artifacts',
        'push',
        'publish',
        'announce',
        'post',
      ],
    );
    assert.ok(planned.plan.checks.includes('tag v0.2.0 is free'));
    assert.deepEqual((await state(repo, remote)).tags, ['v0.1.0'], 'a dry run writes nothing');
    assert.match(dry.stderr, /42 passed/, 'a dry run makes the checks the real run makes, gates included');

    const r = await cli('release', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      outcome: string;
      tag: string;
      commit: string;
      artifacts: { path: string; sha256: string }[];
      published: { changed: boolean; artifacts: number };
    };
    assert.equal(out.outcome, 'released');
    assert.deepEqual(
      out.artifacts.map((a) => a.path),
      ['dist/sentinel-0.2.0-linux-amd64.tar.gz', 'dist/sentinel-0.2.0-linux-arm64.tar.gz'],
    );
    assert.deepEqual(out.published, { version: '0.2.0', channel: 'stable', changed: true, artifacts: 2 });

    const s = await state(repo, remote);
    assert.deepEqual(s.tags, ['v0.1.0', 'v0.2.0']);
    assert.deepEqual(s.remoteTags.sort(), ['v0.1.0', 'v0.2.0']);
    assert.deepEqual(s.releaseCommits, ['chore(release): v0.2.0']);
    assert.equal(s.dirty, '');
    assert.equal(await repo.git('cat-file', '-t', 'v0.2.0'), 'tag', 'an annotated tag');
    assert.equal(await repo.git('rev-parse', 'v0.2.0^{commit}'), out.commit);
    assert.equal(await repo.git('ls-remote', remote, 'refs/heads/main'), `${out.commit}\trefs/heads/main`);
    assert.equal(
      await repo.git('show', 'v0.2.0:pyproject.toml'),
      '[project]\nname = "aiogram-sentinel"\nversion = "0.2.0"',
    );
    assert.equal(await repo.git('show', 'v0.2.0:src/sentinel/version.py'), '__version__ = "0.2.0"');
    const changelog = await repo.git('show', 'v0.2.0:CHANGELOG.md');
    assert.match(changelog, /## \[0\.2\.0\] - \d{4}-\d{2}-\d{2}\n\n### Added\n\n- \*\*redis:\*\* cluster backend/);
    assert.match(changelog, /### Security\n\n- \*\*auth:\*\* constant-time token compare/);
    assert.deepEqual((await repo.git('show', '--name-only', '--format=', out.commit)).split('\n').sort(), [
      'CHANGELOG.md',
      'pyproject.toml',
      'src/sentinel/version.py',
    ]);

    // The manifest carries the markers the commits make, and the notes.
    const manifest = (await manifestOf(feed, '0.2.0')) as unknown as {
      security: unknown;
      breaking: boolean;
      commit: string;
      notes: string;
      artifacts: Record<string, { sha256: string }>;
    };
    assert.deepEqual(manifest.security, { severity: 'high', advisory: 'GHSA-abcd-efgh-ijkm' });
    assert.equal(manifest.breaking, false);
    assert.equal(manifest.commit, out.commit);
    assert.match(manifest.notes, /constant-time token compare/);
    assert.match(
      manifest.notes,
      /Security release \(high, GHSA-abcd-efgh-ijkm\)/,
      'the notes and the manifest say the same',
    );
    assert.deepEqual(Object.keys(manifest.artifacts).sort(), ['linux/amd64', 'linux/arm64']);
    assert.equal(manifest.artifacts['linux/amd64']!.sha256, out.artifacts[0]!.sha256);

    // The journal says it is finished; a rerun has nothing to release and cuts nothing twice.
    const journal = JSON.parse(await readFile(join(repo.dir, '.slipway', 'release.json'), 'utf8')) as {
      finishedAt: string | null;
      steps: Record<string, { status: string }>;
    };
    assert.notEqual(journal.finishedAt, null);
    assert.equal(journal.steps.push!.status, 'done');
    const again = await cli('release');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /nothing to release on stable/);
    const resume = await cli('release', '--resume');
    assert.equal(resume.status, 1);
    assert.match(resume.stderr, /no unfinished release to resume/);

    // The checklist shows the gates ticked from their last results.
    const checklist = await cli('checklist', '--format', 'markdown');
    assert.equal(checklist.status, 1, 'nothing left to release: no checklist');
    await repo.commit('fix: off-by-one in the bucket refill');
    const md = await cli('checklist', '--format', 'markdown');
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /# Release checklist: v0\.2\.1 \(stable\)/);
    assert.match(md.stdout, /- \[x\] tests \(`node -e console\.log\("42 passed"\)`\) — passed/);
    assert.match(md.stdout, /- \[x\] README\.md updated/);
    assert.match(md.stdout, /- \[ \] Version bumped in pyproject\.toml — 0\.2\.0 -> 0\.2\.1/);
    assert.match(md.stdout, /- \[ \] Pushed to origin/);
  });

  it('stops before anything is written on a failing gate, a dirty tree, a wrong branch, a taken tag or an unconfirmed checklist', async () => {
    const { repo, remote, cli } = await project(
      strategy({}, ['node', '-e', 'console.log("3 failed"); process.exit(process.env.FAIL === "1" ? 1 : 0)']),
    );
    await repo.commit('feat: token bucket');
    const before = await state(repo, remote);
    const pyproject = await readFile(join(repo.dir, 'pyproject.toml'), 'utf8');

    const failing = await runCli(['release'], { cwd: repo.dir, env: { ...env, FAIL: '1' } });
    assert.equal(failing.status, 1);
    assert.match(failing.stderr, /release step "gates" failed: gate "tests" failed \(exit 1\)/);
    assert.match(failing.stderr, /3 failed/);
    assert.match(failing.stderr, /nothing was committed or tagged/);
    assert.deepEqual(await state(repo, remote), before);
    assert.equal(await readFile(join(repo.dir, 'pyproject.toml'), 'utf8'), pyproject);

    await repo.write('pyproject.toml', `${pyproject}# local edit\n`);
    const dirty = await cli('release');
    assert.equal(dirty.status, 1);
    assert.match(dirty.stderr, /uncommitted changes \(pyproject\.toml\).*git stash/);
    await repo.git('checkout', '--', 'pyproject.toml');

    await repo.git('checkout', '-q', '-b', 'feature/x');
    const branch = await cli('release');
    assert.equal(branch.status, 1);
    assert.match(branch.stderr, /stable releases are cut from main, hotfix\/\*, \*\.x, and this is feature\/x/);
    await repo.git('checkout', '-q', 'main');

    await repo.git('tag', 'v0.2.0', 'HEAD~1');
    const taken = await cli('next', '--json');
    assert.equal((JSON.parse(taken.stdout) as { next: string }).next, '0.3.0', 'next skips the tagged version');
    await repo.git('tag', '-d', 'v0.2.0');

    const unconfirmed = await project(strategy({ confirmed: ['README.md updated'] }));
    await unconfirmed.repo.commit('feat: something');
    const ci = await unconfirmed.cli('release');
    assert.equal(ci.status, 1);
    assert.match(
      ci.stderr,
      /not confirmed and there is no terminal to ask on: "Migration guides updated \(if needed\)"; confirm them with --yes/,
    );
    const yes = await unconfirmed.cli('release', '--yes');
    assert.equal(yes.status, 0, yes.stderr);
    assert.deepEqual(before.tags, ['v0.1.0']);
    assert.deepEqual(await state(repo, remote), before, 'nothing of the refused runs is left');
  });

  it('a build that fails after the tag, and a push the remote rejects, finish with --resume: one tag, one commit, one upload', async () => {
    const { repo, remote, cli, feed } = await project();
    await repo.commit('feat: token bucket');
    await repo.write('fail-build', 'yes');
    const broken = await cli('release');
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /release step "build" failed: build "archive linux\/amd64" failed \(exit 4\)/);
    assert.match(broken.stderr, /compiler exploded/);
    assert.match(broken.stderr, /v0\.2\.0 stands; fix it and run slipway release --resume/);
    let s = await state(repo, remote);
    assert.deepEqual(s.tags, ['v0.1.0', 'v0.2.0'], 'after the tag, the tag stands');

    // Meanwhile the remote moves on: the push will be refused.
    const other = await scratchRepo();
    await other.git('clone', '-q', '-b', 'main', remote, 'c');
    const clone = join(other.dir, 'c');
    const { runGit } = await import('../src/git/run.ts');
    await runGit(clone, [
      '-c',
      'user.name=x',
      '-c',
      'user.email=x@x',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'docs: elsewhere',
    ]);
    await runGit(clone, ['push', '-q', 'origin', 'main']);

    await repo.git('rm', '-q', '--cached', '--ignore-unmatch', 'fail-build');
    const { rm } = await import('node:fs/promises');
    await rm(join(repo.dir, 'fail-build'));
    const rejected = await cli('release', '--resume');
    assert.equal(rejected.status, 1);
    assert.match(rejected.stderr, /release step "push" failed: origin refused the push/);
    assert.match(rejected.stderr, /rejected|fetch first|non-fast-forward/);

    // The operator pulls (rebase would rewrite the tagged commit, so merge) and resumes.
    await repo.git('pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main');
    const dry = await cli('release', '--resume', '--dry-run', '--json');
    assert.equal(dry.status, 0, dry.stderr);
    const finished = await cli('release', '--resume', '--json');
    assert.equal(finished.status, 0, finished.stderr);
    const out = JSON.parse(finished.stdout) as { resumed: boolean; steps: Record<string, { status: string }> };
    assert.equal(out.resumed, true);
    assert.equal(out.steps.build!.status, 'done');
    s = await state(repo, remote);
    assert.deepEqual(s.tags, ['v0.1.0', 'v0.2.0']);
    assert.deepEqual(s.remoteTags.sort(), ['v0.1.0', 'v0.2.0']);
    assert.deepEqual(s.releaseCommits, ['chore(release): v0.2.0']);
    assert.deepEqual(await stableVersions(feed), ['0.2.0']);
  });

  it('SIGKILL at every step: a rerun finishes the release with one tag and one release commit, the tree clean', async () => {
    const points = [
      'gates:start',
      'checklist:start',
      'version-files',
      'commit',
      'tag:start',
      'build:start',
      'artifacts:start',
      'publish:start',
      'push:start',
      'post:start',
    ];
    const matrix: string[] = [];
    for (const point of points) {
      const { repo, remote, cli, feed } = await project(
        strategy({ post: [{ name: 'announce', run: ['node', '-e', ''] }] }),
      );
      await repo.commit('feat: token bucket');
      const killed = await spawnCli(['release'], {
        cwd: repo.dir,
        env: { ...env, SLIPWAY_RELEASE_CRASH_AT: point },
      });
      assert.equal(killed.status, -1, `${point} was to die by SIGKILL: ${killed.stderr}`);
      const rerun = await cli('release');
      assert.equal(rerun.status, 0, `${point}: ${rerun.stderr}`);
      const s = await state(repo, remote);
      assert.deepEqual(s.tags, ['v0.1.0', 'v0.2.0'], point);
      assert.deepEqual(s.remoteTags.sort(), ['v0.1.0', 'v0.2.0'], point);
      assert.deepEqual(s.releaseCommits, ['chore(release): v0.2.0'], point);
      assert.equal(s.dirty, '', point);
      assert.equal(
        await repo.git('show', 'HEAD:pyproject.toml'),
        '[project]\nname = "aiogram-sentinel"\nversion = "0.2.0"',
        point,
      );
      assert.deepEqual(await stableVersions(feed), ['0.2.0'], point);
      matrix.push(`${point}: killed → rerun released once`);
    }
    assert.equal(matrix.length, points.length);
  });

  it('beta then stable of the same code: the stable release commit differs only in the release files, and is accepted', async () => {
    const { repo, cli, feed } = await project(strategy({}, undefined, PANEL));
    await repo.commit('feat: token bucket');
    const beta = await cli('release', '--channel', 'beta', '--json');
    assert.equal(beta.status, 0, beta.stderr);
    assert.equal((JSON.parse(beta.stdout) as { version: string }).version, '0.2.0-beta.1');
    assert.equal(await readFile(join(repo.dir, 'src/sentinel/version.py'), 'utf8'), '__version__ = "0.2.0b1"\n');

    const stable = await cli('release', '--json');
    assert.equal(stable.status, 0, stable.stderr);
    const out = JSON.parse(stable.stdout) as { version: string; steps: { publish: { detail: string } } };
    assert.equal(out.version, '0.2.0');
    assert.ok(
      [out.steps.publish.detail].some((c) =>
        /0\.2\.0-beta\.1 of [0-9a-f]{7} is on beta; [0-9a-f]{7} differs from it only by a release commit/.test(c),
      ),
      out.steps.publish.detail,
    );
    const manifest = (await manifestOf(feed, '0.2.0')) as unknown as {
      hotfix: boolean;
    };
    assert.equal(manifest.hotfix, false);

    // A stable whose code moved on since the beta is refused, naming the file.
    await repo.commit('fix: after the beta', { 'src/sentinel/bucket.py': 'x = 1\n' });
    await cli('release', '--channel', 'beta', '--release-as', '0.3.0');
    await repo.commit('fix: one more', { 'src/sentinel/bucket.py': 'x = 2\n' });
    const refused = await cli('release', '--dry-run');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /since 0\.3\.0-beta\.1, src\/sentinel\/bucket\.py changed beyond the release files/);
  });

  it('a hotfix branch takes fixes only: a feat is refused with the diff stat, --allow records the reason in the manifest', async () => {
    const { repo, cli, feed } = await project(strategy({}, undefined, PANEL));
    await repo.commit('feat: token bucket');
    assert.equal((await cli('release', '--channel', 'beta')).status, 0);
    assert.equal((await cli('release')).status, 0);
    await repo.git('checkout', '-q', '-b', 'hotfix/0.2.x', 'v0.2.0');
    await repo.commit('fix: refill overflow', { 'src/sentinel/bucket.py': 'fixed = True\n' });
    const fix = await cli('release', '--dry-run', '--json');
    assert.equal(fix.status, 0, fix.stderr);
    assert.equal((JSON.parse(fix.stdout) as { version: string }).version, '0.2.1');

    await repo.commit('feat: a new module', { 'src/sentinel/new.py': 'x\n'.repeat(200) });
    const outside = await cli('release');
    assert.equal(outside.status, 1);
    // The hotfix branch's next version leaves the patch line: the planner says so first.
    assert.match(outside.stderr, /0\.3\.0|hotfix/);
    const forced = await cli('release', '--release-as', '0.2.1');
    assert.equal(forced.status, 1);
    assert.match(
      forced.stderr,
      /a hotfix carries only fix\/security\/perf\/revert commits, and 1 since v0\.2\.0 is not: [0-9a-f]{7} "feat: a new module"/,
    );
    assert.match(forced.stderr, /src\/sentinel\/new\.py +\| 200 \+/);
    assert.equal(await repo.git('tag', '--list', 'v0.2.1'), '', 'refused: no tag');

    const allowed = await cli('release', '--release-as', '0.2.1', '--allow', 'customer outage, reviewed by @arman');
    assert.equal(allowed.status, 0, allowed.stderr);
    const manifest = (await manifestOf(feed, '0.2.1')) as unknown as {
      hotfix: boolean;
      exceptions: unknown;
    };
    assert.equal(manifest.hotfix, true);
    assert.deepEqual(manifest.exceptions, [{ rule: 'hotfix', reason: 'customer outage, reviewed by @arman' }]);
  });

  it('--tag releases a tag pushed by a person (the tag-triggered CI job): checks the version files, builds, publishes, makes no commit', async () => {
    const { repo, remote, cli } = await project();
    await repo.commit('feat: token bucket');
    await repo.tag('v0.2.0', { annotated: true });
    const mismatch = await cli('release', '--tag', 'v0.2.0');
    assert.equal(mismatch.status, 1);
    assert.match(
      mismatch.stderr,
      /the version files disagree with v0\.2\.0: pyproject\.toml says 0\.1\.0, src\/sentinel\/version\.py says 0\.1\.0/,
    );
    await repo.git('tag', '-d', 'v0.2.0');

    assert.equal((await cli('bump', '0.2.0')).status, 0);
    await repo.git('commit', '-qam', 'chore(release): v0.2.0');
    await repo.tag('v0.2.0', { annotated: true });
    const before = await state(repo, remote);
    const r = await cli('release', '--tag', 'refs/tags/v0.2.0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      version: string;
      steps: Record<string, { status: string }>;
      published: { changed: boolean };
    };
    assert.equal(out.version, '0.2.0');
    assert.deepEqual(Object.fromEntries(Object.entries(out.steps).map(([k, v]) => [k, v.status])), {
      gates: 'done',
      checklist: 'skipped',
      'version-files': 'skipped',
      changelog: 'skipped',
      commit: 'skipped',
      tag: 'skipped',
      push: 'skipped',
      build: 'done',
      artifacts: 'done',
      publish: 'done',
      announce: 'skipped',
      post: 'skipped',
    });
    assert.equal(out.published.changed, true);
    assert.deepEqual(await state(repo, remote), before, 'no commit, no tag, no push');

    // On every push to main, --if-needed makes "nothing to release" a success.
    const idle = await cli('release', '--if-needed', '--json');
    assert.equal(idle.status, 0, idle.stderr);
    assert.equal((JSON.parse(idle.stdout) as { outcome: string }).outcome, 'nothing');
    assert.equal((await cli('release')).status, 1);
  });

  it('an artifact glob that matches nothing stops after the tag, naming the glob; --resume picks the file up once it is there', async () => {
    const cfg = strategy({
      build: [
        {
          name: 'docs',
          run: ['node', '-e', 'process.exit(0)'],
          artifacts: ['dist/manual-{version}.txt'],
        },
      ],
    });
    const { repo, remote, cli } = await project(cfg);
    await repo.commit('feat: token bucket');
    const r = await cli('release');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /release step "artifacts" failed: the artifact glob "dist\/manual-0\.2\.0\.txt" of build "docs" matched nothing/,
    );
    assert.deepEqual((await state(repo, remote)).tags, ['v0.1.0', 'v0.2.0']);
    await repo.write('dist/manual-0.2.0.txt', 'the manual\n');
    const resumed = await cli('release', '--resume', '--json');
    assert.equal(resumed.status, 0, resumed.stderr);
    const out = JSON.parse(resumed.stdout) as { artifacts: { path: string }[] };
    assert.deepEqual(
      out.artifacts.map((a) => a.path),
      ['dist/manual-0.2.0.txt'],
    );
    assert.deepEqual((await state(repo, remote)).remoteTags.sort(), ['v0.1.0', 'v0.2.0']);
  });

  it("never undoes a person's work: a commit made after a killed run is kept, a commit made while the gates run stops the release", async () => {
    const { repo, remote, cli } = await project();
    await repo.commit('feat: token bucket');
    const killed = await spawnCli(['release'], {
      cwd: repo.dir,
      env: { ...env, SLIPWAY_RELEASE_CRASH_AT: 'gates:start' },
    });
    assert.equal(killed.status, -1);
    const mine = await repo.commit('fix: the maintainer fixes something meanwhile', {
      'src/sentinel/extra.py': 'x = 1\n',
    });
    const rerun = await cli('release', '--json');
    assert.equal(rerun.status, 0, rerun.stderr);
    const log = (await repo.git('log', '--format=%H %s', '-3')).split('\n');
    assert.match(log[0]!, /chore\(release\): v0\.2\.0$/);
    assert.equal(
      log[1],
      `${mine} fix: the maintainer fixes something meanwhile`,
      'the commit made after the kill is released, not undone',
    );

    // A gate that commits (or a person committing while the gates run): HEAD moved, nothing written.
    const moving = await project(
      strategy({}, [
        'git',
        '-c',
        'user.name=x',
        '-c',
        'user.email=x@x',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'feat!: sneaky',
      ]),
    );
    await moving.repo.commit('feat: token bucket');
    const r = await moving.cli('release');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /HEAD moved while the gates ran \(planned [0-9a-f]{7} on main, now [0-9a-f]{7} on main\); nothing was written/,
    );
    assert.deepEqual((await state(moving.repo, moving.remote)).tags, ['v0.1.0']);

    // An edit made while the gates run is the person's: the release stops, and the edit stays.
    const editing = await project(strategy({}, ['sh', '-c', 'echo "# mine" >> pyproject.toml']));
    await editing.repo.commit('feat: token bucket');
    const edited = await editing.cli('release');
    assert.equal(edited.status, 1);
    assert.match(edited.stderr, /tracked files changed while the gates ran \(pyproject\.toml\)/);
    assert.match(await readFile(join(editing.repo.dir, 'pyproject.toml'), 'utf8'), /# mine\n$/);
    assert.deepEqual((await state(editing.repo, editing.remote)).tags, ['v0.1.0']);

    // Killed right after its release commit, then a person commits on top: their history and
    // files stand, and the rerun tags what is there.
    const late = await project();
    await late.repo.commit('feat: token bucket');
    const k = await spawnCli(['release'], { cwd: late.repo.dir, env: { ...env, SLIPWAY_RELEASE_CRASH_AT: 'commit' } });
    assert.equal(k.status, -1);
    await late.repo.commit('docs: a note', { 'NOTES.md': 'x\n' });
    const after = await late.cli('release');
    assert.equal(after.status, 0, after.stderr);
    const ls = await late.repo.git('status', '--porcelain', '--untracked-files=no');
    assert.equal(ls, '', 'no file was reverted behind the person');
    assert.equal(
      await late.repo.git('show', 'v0.2.0:pyproject.toml'),
      '[project]\nname = "aiogram-sentinel"\nversion = "0.2.0"',
    );
    assert.deepEqual((await state(repo, remote)).remoteTags.sort(), ['v0.1.0', 'v0.2.0']);
  });

  it('checks the remote before anything is written, pushes before it publishes, and a failed post step never blocks the next release', async () => {
    const { repo, remote, cli, feed } = await project(
      strategy({ post: [{ name: 'announce', run: ['node', '-e', 'process.exit(5)'] }] }),
    );
    await repo.commit('feat: token bucket');
    // Someone else has pushed v0.2.0 already.
    await repo.git('push', '-q', remote, 'HEAD:refs/tags/v0.2.0');
    const taken = await cli('release');
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /origin has a tag v0\.2\.0 already/);
    assert.deepEqual((await state(repo, remote)).tags, ['v0.1.0'], 'nothing was tagged');
    assert.deepEqual(await stableVersions(feed), [], 'nothing was published');
    await repo.git('push', '-q', remote, ':refs/tags/v0.2.0');

    const r = await cli('release');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /release step "post" failed: post-release step "announce" failed \(exit 5\)/);
    assert.deepEqual(await stableVersions(feed), ['0.2.0']);
    assert.deepEqual((await state(repo, remote)).remoteTags.sort(), ['v0.1.0', 'v0.2.0']);
    // The release stands: the next one starts afresh; --resume would retry the post step.
    await repo.commit('fix: next thing');
    const next = await cli('release', '--dry-run', '--json');
    assert.equal(next.status, 0, next.stderr);
    assert.equal((JSON.parse(next.stdout) as { version: string }).version, '0.2.1');
  });

  it('--abort gives up a release stopped after its tag and lists what stands', async () => {
    const { repo, cli } = await project();
    await repo.commit('feat: token bucket');
    await repo.write('fail-build', 'yes');
    assert.equal((await cli('release')).status, 1);
    const other = await cli('release', '--channel', 'nightly');
    assert.equal(other.status, 1);
    assert.match(
      other.stderr,
      /the release of v0\.2\.0 on stable stopped at step "build" after its tag; finish it first \(slipway release --resume\) or give it up \(slipway release --abort\)/,
    );
    const aborted = await cli('release', '--abort');
    assert.equal(aborted.status, 0, aborted.stderr);
    assert.match(aborted.stdout, /left standing: tag v0\.2\.0 \(git tag -d v0\.2\.0 if it was never pushed\)/);
    const again = await cli('release', '--resume');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no unfinished release to resume/);
  });

  it('a SIGTERM (a cancelled CI job) stops the running gate and everything it started, and the release fails cleanly', async () => {
    const marker = join(await tempDir(), 'gate-survived');
    const { repo, remote, cli } = await project(
      strategy({}, ['sh', '-c', `echo gate-started; sleep 4; echo survived > '${marker}'`]),
    );
    await repo.commit('feat: token bucket');
    const child = spawn(process.execPath, [BIN, 'release'], {
      cwd: repo.dir,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && stderr.includes('gate-started')) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(status, 1, stderr);
    assert.match(stderr, /gate "tests" failed \(SIGTERM\)/);
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal(await readFile(marker, 'utf8').catch(() => null), null, "the gate's own children were stopped too");
    const s = await state(repo, remote);
    assert.deepEqual([s.tags, s.dirty], [['v0.1.0'], '']);
    assert.equal((await cli('release', '--dry-run')).status, 0, 'nothing blocks the next run');
  });
});
