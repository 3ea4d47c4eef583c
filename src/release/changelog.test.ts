import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.ts';
import type { ScratchRepo } from '../testing/scratch-repo.ts';
import { scratchRepo } from '../../test/helpers.ts';
import { buildChangelog } from './changelog.ts';

const config = parseConfig('{"repository": "https://github.com/o/r"}');
const plain = parseConfig('{}');

function build(
  repo: ScratchRepo,
  existing: string | null,
  options: { mode?: 'update' | 'regenerate'; release?: string; cfg?: typeof config } = {},
) {
  return buildChangelog({
    cwd: repo.dir,
    config: options.cfg ?? config,
    existing,
    mode: options.mode ?? 'update',
    release: options.release ?? null,
    date: '2026-11-22',
  });
}

async function history(): Promise<ScratchRepo> {
  const repo = await scratchRepo();
  await repo.commit('feat: first feature');
  await repo.tag('v1.0.0', { annotated: true });
  repo.advance(86400);
  await repo.commit('fix(api): handle empty body (#12)');
  await repo.commit('chore: tidy');
  await repo.tag('v1.0.1');
  repo.advance(86400);
  await repo.commit('feat(ui): dark mode\n\nCloses #20');
  await repo.commit('refactor!: new config loader\n\nBREAKING CHANGE: `ssl_mode` is now `tls.mode`.');
  return repo;
}

describe('buildChangelog', () => {
  it('writes a Keep a Changelog file from the whole history', async () => {
    const repo = await history();
    const r = await build(repo, null, { cfg: plain });
    const body = r.text.slice(r.text.indexOf('## [Unreleased]'));
    assert.equal(
      body.replace(/\b[0-9a-f]{7}\b/g, 'SHA'),
      `## [Unreleased]

### Added

- **ui:** dark mode (closes #20) (SHA)

### Changed

- **BREAKING** new config loader (SHA)

  \`ssl_mode\` is now \`tls.mode\`.

## [1.0.1] - 2026-01-06

### Fixed

- **api:** handle empty body (#12) (SHA)

## [1.0.0] - 2026-01-05

### Added

- first feature (SHA)
`,
    );
    assert.ok(r.text.startsWith('# Changelog\n\nAll notable changes'));
    assert.deepEqual(r.added, ['Unreleased', '1.0.1', '1.0.0']);
  });

  it('links issues, commits and compare views from the repository URL', async () => {
    const repo = await history();
    const r = await build(repo, null);
    assert.match(r.text, /\(\[#12\]\(https:\/\/github\.com\/o\/r\/issues\/12\)\)/);
    assert.match(r.text, /\(\[[0-9a-f]{7}\]\(https:\/\/github\.com\/o\/r\/commit\/[0-9a-f]{40}\)\)/);
    assert.ok(
      r.text.endsWith(
        '[unreleased]: https://github.com/o/r/compare/v1.0.1...HEAD\n[1.0.1]: https://github.com/o/r/compare/v1.0.0...v1.0.1\n[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n',
      ),
    );
  });

  it('is idempotent', async () => {
    const repo = await history();
    const first = await build(repo, null);
    const second = await build(repo, first.text);
    assert.equal(second.changed, false);
    assert.equal(second.text, first.text);
  });

  it('cuts a release from [Unreleased], carrying hand-written lines into it', async () => {
    const repo = await history();
    const first = await build(repo, null);
    const edited = first.text.replace(
      '## [Unreleased]\n',
      '## [Unreleased]\n\n### Added\n\n- A note the maintainer wrote by hand.\n',
    );
    const r = await build(repo, edited, { release: '2.0.0' });
    const unreleased = r.text.slice(r.text.indexOf('## [Unreleased]'), r.text.indexOf('## [2.0.0]'));
    assert.equal(unreleased, '## [Unreleased]\n\n');
    const section = r.text.slice(r.text.indexOf('## [2.0.0] - 2026-11-22'), r.text.indexOf('## [1.0.1]'));
    assert.match(section, /- A note the maintainer wrote by hand\.\n- \*\*ui:\*\* dark mode/);
    assert.match(section, /\*\*BREAKING\*\* new config loader/);
    assert.equal((section.match(/dark mode/g) ?? []).length, 1);
    assert.match(r.text, /\[2\.0\.0\]: https:\/\/github\.com\/o\/r\/compare\/v1\.0\.1\.\.\.v2\.0\.0/);
  });

  it('keeps a generated line the user reworded and does not add it twice', async () => {
    const repo = await history();
    const first = await build(repo, null);
    const edited = first.text.replace(/- \*\*ui:\*\* dark mode/, '- **ui:** a lovely dark mode');
    await repo.commit('fix: later');
    const r = await build(repo, edited);
    assert.match(r.text, /a lovely dark mode/);
    assert.doesNotMatch(r.text, /\*\*ui:\*\* dark mode/);
    assert.match(r.text, /- later/);
  });

  it('adds a new release above the ones already written, leaving them untouched', async () => {
    const repo = await history();
    const first = await build(repo, null);
    const tweaked = first.text.replace('- first feature', '- first feature, as announced on the blog');
    await repo.tag('v1.1.0');
    const r = await build(repo, tweaked);
    assert.deepEqual(r.added, ['1.1.0']);
    assert.match(r.text, /## \[Unreleased\]\n\n## \[1\.1\.0\] - 20\d\d-\d\d-\d\d\n\n### Added/);
    assert.match(r.text, /first feature, as announced on the blog/);
  });

  it('removes an Unreleased entry once its commit is reverted', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: a');
    await repo.tag('v1.0.0');
    const risky = await repo.commit('feat: risky', { 'r.txt': '1\n' });
    const first = await build(repo, null);
    assert.match(first.text, /risky/);
    await repo.git('revert', '--no-edit', risky);
    const r = await build(repo, first.text);
    assert.doesNotMatch(r.text, /risky/);
  });

  it('gathers the betas into the stable section and compares against the previous stable', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: base');
    await repo.tag('v1.2.0');
    await repo.commit('feat: one');
    await repo.tag('v1.3.0-beta.1');
    await repo.commit('fix: two');
    await repo.tag('v1.3.0-beta.2');
    await repo.commit('fix: three');
    await repo.tag('v1.3.0');
    const r = await build(repo, null);
    const stable = r.text.slice(r.text.indexOf('## [1.3.0] -'), r.text.indexOf('## [1.3.0-beta.2]'));
    assert.match(stable, /one/);
    assert.match(stable, /two/);
    assert.match(stable, /three/);
    const beta2 = r.text.slice(r.text.indexOf('## [1.3.0-beta.2]'), r.text.indexOf('## [1.3.0-beta.1]'));
    assert.match(beta2, /two/);
    assert.doesNotMatch(beta2, /one|three/);
    assert.match(r.text, /\[1\.3\.0\]: https:\/\/github\.com\/o\/r\/compare\/v1\.2\.0\.\.\.v1\.3\.0/);
    assert.match(
      r.text,
      /\[1\.3\.0-beta\.2\]: https:\/\/github\.com\/o\/r\/compare\/v1\.3\.0-beta\.1\.\.\.v1\.3\.0-beta\.2/,
    );
  });

  it('attributes a branch merged after a release to the release that merged it', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: base');
    await repo.git('checkout', '-q', '-b', 'topic');
    await repo.commit('feat: long-running branch work');
    await repo.git('checkout', '-q', 'main');
    await repo.commit('fix: on main');
    await repo.tag('v1.0.0');
    await repo.merge('topic', 'Merge branch topic');
    await repo.tag('v1.1.0');
    const r = await build(repo, null);
    const v110 = r.text.slice(r.text.indexOf('## [1.1.0]'), r.text.indexOf('## [1.0.0]'));
    assert.match(v110, /long-running branch work/);
    assert.doesNotMatch(r.text.slice(r.text.indexOf('## [1.0.0]')), /long-running/);
  });

  it('walks again in topo order when committer dates go backwards, and attributes right', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: base');
    await repo.git('checkout', '-q', '-b', 'topic');
    repo.advance(-86400); // a commit dated a day before its parent (a skewed clock)
    await repo.commit('feat: from a skewed clock');
    repo.advance(2 * 86400);
    await repo.git('checkout', '-q', 'main');
    await repo.commit('fix: on main');
    await repo.tag('v1.0.0');
    await repo.merge('topic', 'Merge branch topic');
    await repo.tag('v1.1.0');
    const r = await build(repo, null);
    assert.equal(r.walks, 2);
    assert.match(r.text.slice(r.text.indexOf('## [1.1.0]'), r.text.indexOf('## [1.0.0]')), /from a skewed clock/);
    assert.equal((await build(await history(), null)).walks, 1);
  });

  it('inserts into a file that is not in Keep a Changelog form without losing a line', async () => {
    const repo = await history();
    const mine = 'Our release log\n===============\n\nWe write things here.\n\n## Old history\n\nThe 2019 rewrite.\n';
    const r = await build(repo, mine);
    for (const line of mine.split('\n')) assert.ok(r.text.includes(line), line);
    assert.ok(r.text.indexOf('## [1.0.1]') < r.text.indexOf('## Old history'));
    assert.ok(r.text.startsWith('Our release log\n===============\n\nWe write things here.\n\n## [Unreleased]'));
  });

  it('regenerates every section from history but keeps hand-written lines', async () => {
    const repo = await history();
    const first = await build(repo, null);
    const damaged = first.text.replace(/- first feature.*\n/, '- written by hand\n');
    const r = await build(repo, damaged, { mode: 'regenerate' });
    const v100 = r.text.slice(r.text.indexOf('## [1.0.0]'));
    assert.match(v100, /- written by hand/);
    assert.match(v100, /- first feature/);
    assert.deepEqual(r.updated, ['1.0.0']);
  });

  it('copes with unicode and very long messages', async () => {
    const repo = await scratchRepo();
    const long = 'x'.repeat(20000);
    await repo.commit(`feat(ïntl): übersetzung 🚀 ${long}\n\n${'body line\n'.repeat(2000)}`);
    const r = await build(repo, null);
    assert.match(r.text, /\*\*ïntl:\*\* übersetzung 🚀 x{20000}/);
  });
});

describe('hand-written text and line ends (issue: lines lost under [Unreleased])', () => {
  const FILE = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    'A hand-written note about the next release.',
    '',
    '### Fixed',
    '',
    '- a fix described by hand',
    '',
    '## [1.0.1] - 2026-01-01',
    '',
    '### Fixed',
    '',
    '- handle empty body',
    '',
  ].join('\n');

  it('keeps a line written directly under [Unreleased] (no ### heading), and moves it into the release being cut', async () => {
    const repo = await history();
    const update = await build(repo, FILE, { cfg: plain });
    assert.match(update.text, /## \[Unreleased\]\n\nA hand-written note about the next release\.\n/);
    assert.match(update.text, /## \[Unreleased\][^#]*\n\n### Added[\s\S]*- a fix described by hand\n\n## \[1\.0\.1\]/);
    assert.match(
      update.text,
      /- handle empty body\n\n## \[1\.0\.0\]/,
      'an older release added late gets its blank line',
    );
    assert.doesNotMatch(
      update.text,
      /## \[1\.0\.0\][\s\S]*a fix described by hand/,
      "an older release never takes the next one's lines",
    );

    const cut = await build(repo, FILE, { cfg: plain, release: '2.0.0' });
    assert.match(
      cut.text,
      /## \[Unreleased\]\n\n## \[2\.0\.0\] - 2026-11-22\n\nA hand-written note about the next release\.\n/,
    );
    assert.match(cut.text, /## \[2\.0\.0\][\s\S]*- a fix described by hand[\s\S]*## \[1\.0\.1\]/);
  });

  it('writes a CRLF file back with CRLF', async () => {
    const repo = await history();
    const crlf = FILE.replace(/\n/g, '\r\n');
    const r = await build(repo, crlf, { cfg: plain, release: '2.0.0' });
    assert.equal(r.text.split('\r\n').length, r.text.split('\n').length, 'every line ends with CRLF');
    assert.ok(r.text.includes('## [2.0.0] - 2026-11-22\r\n'));
  });
});
