import { defineCommand, json } from '../command.ts';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { runUpdateLoop } from '../../testing/update-loop.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../core/config/parse.ts';
import { ScratchRepo } from '../../testing/scratch-repo.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { buildChangelog } from '../../release/changelog.ts';
import { computeNext } from '../../release/next.ts';
import { buildNotes } from '../../release/notes.ts';
import { today } from '../output.ts';

const CONFIG = `{
  // A server panel's strategy, written down once.
  "name": "aiPanel",
  "repository": "https://github.com/example/aipanel",
  "channels": ["nightly", "beta", "stable"],
  "notes": { "install": "curl -fsSL https://get.example.dev | bash -s -- --version={{version}}", "migrationGuide": "UPGRADING.md" },
  "versionFiles": ["package.json"]
}
`;

/** A small project with a real history: two releases, then the work since. */
async function buildSample(dir: string): Promise<ScratchRepo> {
  const repo = await ScratchRepo.create(dir);
  await repo.commit('feat: initial panel with site list', {
    'package.json': '{\n  "name": "aipanel",\n  "version": "0.3.0"\n}\n',
    'slipway.json': CONFIG,
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
    const dir = await mkdtemp(join(tmpdir(), 'slipway-demo-'));
    try {
      out.info(`Building a sample repository with Conventional Commits in ${dir} …`);
      await buildSample(dir);
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
      await writeFileAtomic(join(dir, 'CHANGELOG.md'), changelog.text);
      const notes = await buildNotes({ cwd: dir, config, version: next.next, template: null, date });

      const rule = (title: string): string => `\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}\n`;
      const text = [
        rule('slipway next'),
        `${next.current} -> ${next.next} (${next.reason})`,
        ...next.deciding.map((c) => `  decided by ${c.shortSha} ${c.header}`),
        `beta channel:    ${beta.next}`,
        `nightly channel: ${nightly.next}`,
        rule(`slipway changelog --release ${next.next}`),
        changelog.text,
        rule(`slipway notes ${next.next}`),
        notes.markdown,
        rule("the operator's half: feed, install, agent, update, rollback"),
      ].join('\n');
      if (!out.json) ctx.io.stdout.write(`${text}\n`);
      out.info('Publishing the sample app to a signed feed and running the update loop (about ten seconds) …');
      const loopDir = join(dir, 'loop');
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
        loop: steps,
        next: { stable: next.next, beta: beta.next, nightly: nightly.next, reason: next.reason },
        changelog: changelog.text,
        notes: notes.markdown,
      });
      return 0;
    } finally {
      if (!flags.keep) await rm(dir, { recursive: true, force: true });
    }
  },
});
