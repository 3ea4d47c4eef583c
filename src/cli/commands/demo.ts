import { defineCommand, json } from '../command.ts';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { runUpdateLoop } from '../../testing/update-loop.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../core/config/parse.ts';
import { ScratchRepo } from '../../testing/scratch-repo.ts';
import { randomBytes } from 'node:crypto';
import { createFeedKeys } from '../../feed/feed-keys.ts';
import { initFeed } from '../../feed/init.ts';
import { LocalStore } from '../../feed/store.ts';
import { openRepository } from '../../git/repo.ts';
import { runRelease } from '../../release/release.ts';
import { buildChangelog } from '../../release/changelog.ts';
import { computeNext } from '../../release/next.ts';
import { buildNotes } from '../../release/notes.ts';
import { today } from '../output.ts';

/** A server panel's strategy, written down once; the feed sits beside the repository. */
const config = (feed: { dir: string; keys: string }): string => `{
  // A server panel's strategy, written down once.
  "name": "aiPanel",
  "repository": "https://github.com/example/aipanel",
  "channels": ["nightly", "beta", "stable"],
  "notes": { "install": "curl -fsSL https://get.example.dev | bash -s -- --version={{version}}", "migrationGuide": "UPGRADING.md" },
  "versionFiles": ["package.json"],
  "release": {
    "gates": [
      { "name": "tests", "run": ["node", "--test", "test/*.test.js"] },
      { "name": "lint", "run": ["node", "--check", "src/panel.js"] }
    ],
    "checklist": ["UPGRADING.md covers the tls.mode rename"],
    "confirmed": true,
    "build": [
      { "name": "dist", "run": ["mkdir", "-p", "dist"] },
      {
        "name": "panel",
        "run": ["tar", "-czf", "dist/aipanel-{version}-{os}-{arch}.tar.gz", "-C", "src", "."],
        "matrix": { "os": ["linux"], "arch": ["amd64", "arm64"] },
        "artifacts": ["dist/aipanel-{version}-{os}-{arch}.tar.gz"]
      }
    ],
    "feed": ${JSON.stringify(feed)}
  }
}
`;

/** A small project with a real history: two releases, then the work since. */
async function buildSample(dir: string, feed: { dir: string; keys: string }): Promise<ScratchRepo> {
  const repo = await ScratchRepo.create(dir);
  await repo.commit('feat: initial panel with site list', {
    'package.json': '{\n  "name": "aipanel",\n  "version": "0.3.0"\n}\n',
    'slipway.json': config(feed),
    '.gitignore': 'dist/\n.slipway/\n',
    'src/panel.js': 'export const sites = [];\n',
    'test/panel.test.js': "import { test } from 'node:test';\ntest('sites', () => {});\n",
  });
  await repo.commit('fix(backup): correct timezone handling in scheduled backups (#41)');
  await repo.tag('v0.3.0', { annotated: true });
  repo.advance(86400 * 14);
  await repo.commit('feat(sites): add bulk domain import (#52)');
  await repo.commit('docs: explain maintenance windows');
  await repo.commit('perf(dashboard): reduce P95 load time from 1.4s to 0.9s');
  await repo.tag('v0.4.0', { annotated: true });
  repo.advance(86400 * 14);
  await repo.commit('security(auth): patch brute-force bypass in MFA flow\n\nCloses #77');
  await repo.commit('feat(api): add X-AiPanel-Version header to every response');
  await repo.commit('Update README');
  await repo.commit(
    'BREAKING(config): rename ssl_mode to tls.mode\n\nBREAKING CHANGE: `server.ssl_mode` is now `server.tls.mode`.\nThe config migration renames it for you.',
  );
  await repo.commit('fix(sites): keep aliases when importing domains\n\nFixes #80');
  return repo;
}

export default defineCommand({
  options: {
    keep: { flags: '--keep', description: 'keep the sample repository and print where it is' },
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const base = await mkdtemp(join(tmpdir(), 'slipway-demo-'));
    const dir = join(base, 'aipanel');
    try {
      out.info(`Building a sample repository with Conventional Commits in ${dir} …`);
      const passphrase = { SLIPWAY_KEY_PASSPHRASE: randomBytes(12).toString('hex') };
      const feed = { dir: join(base, 'feed'), keys: join(base, 'keys') };
      const repo = await buildSample(dir, feed);
      const config = parseConfig(await readFile(join(dir, 'slipway.json'), 'utf8'), 'slipway.json');
      const date = today(ctx.io.env);

      const next = await computeNext({ cwd: dir, config, channel: 'stable', releaseAs: null });
      const beta = await computeNext({ cwd: dir, config, channel: 'beta', releaseAs: null });
      const nightly = await computeNext({ cwd: dir, config, channel: 'nightly', releaseAs: null });
      const changelog = await buildChangelog({
        cwd: dir,
        config,
        existing: null,
        mode: 'update',
        release: next.next,
        date,
      });
      const notes = await buildNotes({ cwd: dir, config, version: next.next, template: null, date });

      const rule = (title: string): string => `\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}\n`;
      const print = (text: string): void => {
        if (!out.json) ctx.io.stdout.write(`${text}\n`);
      };
      print(
        [
          rule('slipway next'),
          `${next.current} -> ${next.next} (${next.reason})`,
          ...next.deciding.map((c) => `  decided by ${c.shortSha} ${c.header}`),
          `beta channel:    ${beta.next}`,
          `nightly channel: ${nightly.next}`,
          rule(`slipway changelog --release ${next.next}`),
          changelog.text,
          rule(`slipway notes ${next.next}`),
          notes.markdown,
        ].join('\n'),
      );

      // The maintainer's release: beta first, then stable of the same code (the promotion rule).
      const feedKeys = await createFeedKeys(config.channels, { dir: feed.keys, env: passphrase });
      await initFeed(new LocalStore(feed.dir), feedKeys, { now: new Date(), expiry: config.feed.expiry });
      const releases: { channel: string; version: string; tag: string | null; steps: string[] }[] = [];
      for (const channel of ['beta', config.stableChannel]) {
        print(rule(`slipway release${channel === config.stableChannel ? '' : ` --channel ${channel}`}`));
        const lines: string[] = [];
        const r = await runRelease({
          root: dir,
          repo: await openRepository(dir),
          config,
          channel,
          releaseAs: null,
          dryRun: false,
          yes: true,
          resume: false,
          sign: false,
          allow: null,
          date,
          now: () => new Date(),
          env: { ...ctx.io.env, ...passphrase },
          onStep: (step, state, detail) => {
            if (state === 'start') return;
            const line = `  ${state === 'done' ? '✓' : state === 'skipped' ? '–' : '✗'} ${step.padEnd(13)} ${detail}`;
            lines.push(line);
            print(line);
          },
        });
        releases.push({ channel, version: r.plan.version, tag: r.plan.tag, steps: lines });
      }
      print(`\ntags: ${(await repo.git('tag', '--list')).split('\n').join(', ')}`);
      print(`history: ${(await repo.git('log', '--format=%s', '-3')).split('\n').join(' ← ')}`);

      print(rule("the operator's half: feed, install, agent, update, rollback"));
      out.info('Publishing the sample app to a signed feed and running the update loop (about ten seconds) …');
      const loopDir = join(base, 'loop');
      await mkdir(loopDir);
      const steps = await runUpdateLoop(loopDir, (s) => {
        if (!out.json) ctx.io.stdout.write(`▸ ${s.step}\n    ${s.detail}\n`);
      });
      const tail = [
        '',
        flags.keep
          ? `The sample repository is kept in ${dir}; try: slipway next --cwd ${dir}`
          : 'Run with --keep to keep the sample repository and try the commands on it.',
      ].join('\n');
      out.result(tail, {
        dir: flags.keep ? dir : null,
        releases,
        loop: steps,
        next: { stable: next.next, beta: beta.next, nightly: nightly.next, reason: next.reason },
        changelog: changelog.text,
        notes: notes.markdown,
      });
      return 0;
    } finally {
      if (!flags.keep) await rm(base, { recursive: true, force: true });
    }
  },
});
