import { SlipwayError } from '../../core/errors.ts';
import { readVersions, resolveVersionFiles, spell } from '../../project/version-files/index.ts';
import { tagCommit } from '../../git/write.ts';
import { computeNext } from '../../release/next.ts';
import { lastGateResults } from '../../release/release.ts';
import { fill } from '../../release/run-step.ts';
import { defineCommand, json } from '../command.ts';
import { loadProject } from '../context.ts';

interface Item {
  section: string;
  item: string;
  done: boolean;
  /** Slipway checks or does it (a gate, a version file, the tag); false: a person confirms it. */
  automated: boolean;
  detail: string | null;
}

/** slipway checklist: the strategy's checklists for the next release, automated items ticked. */
export default defineCommand({
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'the channel (default: the stable one)' },
    format: { flags: '--format <format>', description: 'text or markdown', default: 'text' },
    json,
  },
  async run(ctx, flags) {
    if (flags.format !== 'text' && flags.format !== 'markdown')
      throw new SlipwayError('USAGE', `--format expects text or markdown, got "${flags.format}"`);
    const { config, root, repo } = await loadProject(ctx, flags);
    const channel = flags.channel ?? config.stableChannel;
    const next = await computeNext({ cwd: root, repo, config, channel, releaseAs: null });
    if (next.next === null)
      throw new SlipwayError(
        'NOTHING_TO_RELEASE',
        `nothing to release on ${channel} (${next.reason}); the checklist is for the next release`,
      );
    const version = next.next;
    const tag = `${config.tagPrefix}${version}`;
    const fillIn = (t: string): string => fill(t, { version, tag, channel });
    const gates = await lastGateResults(root);
    const items: Item[] = [];
    for (const g of config.release.gates) {
      const last = gates[g.name];
      items.push({
        section: 'Pre-release',
        item: `${g.name} (\`${g.run.map(fillIn).join(' ')}\`)`,
        done: last?.status === 0,
        automated: true,
        detail:
          last === undefined
            ? 'not run yet'
            : `${last.status === 0 ? 'passed' : `failed (exit ${last.status})`} ${last.at}`,
      });
    }
    const confirmed = config.release.confirmed;
    for (const c of config.release.checklist)
      items.push({
        section: 'Pre-release',
        item: c,
        done: confirmed === true || (Array.isArray(confirmed) && confirmed.includes(c)),
        automated: false,
        detail: null,
      });
    const files = await resolveVersionFiles(root, config);
    for (const f of await readVersions(root, files, version))
      items.push({
        section: 'Version management',
        item: `Version bumped in ${f.path}`,
        done: f.matches === true,
        automated: true,
        detail:
          f.matches === true
            ? null
            : `${f.version} -> ${spell(version, files.find((x) => x.path === f.path)!.spelling)} (slipway release writes it)`,
      });
    items.push(
      {
        section: 'Version management',
        item: `${config.changelog.file} has a section for ${version}`,
        done: false,
        automated: true,
        detail: 'slipway release writes it',
      },
      {
        section: 'Version management',
        item: `Git tag created (${tag})`,
        done: (await tagCommit(root, tag)) !== null,
        automated: true,
        detail: null,
      },
    );
    for (const b of config.release.build)
      for (const os of b.matrix?.os ?? [null])
        for (const arch of b.matrix?.arch ?? [null]) {
          const v = { version, tag, channel, ...(os ? { os } : {}), ...(arch ? { arch } : {}) };
          const where = os !== null || arch !== null ? ` ${os ?? '*'}/${arch ?? '*'}` : '';
          items.push({
            section: 'Release day',
            item: `Built: ${b.name ?? b.run.join(' ')}${where}${b.artifacts.length > 0 ? ` (${b.artifacts.map((a) => fill(a, v)).join(', ')})` : ''}`,
            done: false,
            automated: true,
            detail: null,
          });
        }
    // The reference checklists' words: "PyPI package uploaded", "GitHub release created", "Announcement posted".
    const said: Record<string, string> = {
      npm: `npm package published (dist-tag ${config.release.npm.distTags[channel] ?? channel})`,
      pypi: `PyPI package uploaded (${config.release.pypi.repository})`,
      github: 'GitHub release created',
      gitlab: 'GitLab release created',
      gitea: 'Gitea release created',
    };
    for (const t of config.release.publish) {
      const item =
        t === 'feed'
          ? config.release.feed === null
            ? null
            : `Published to the feed (${config.release.feed.dir}, ${channel})`
          : typeof t === 'string'
            ? said[t]!
            : `Published: ${t.name} (\`${t.run.join(' ')}\`)`;
      if (item !== null) items.push({ section: 'Release day', item, done: false, automated: true, detail: null });
    }
    for (const a of config.release.announce)
      if (a.channels === undefined || a.channels.includes(channel))
        items.push({
          section: 'Post-release',
          item: `Announcement posted (${a.format} webhook)`,
          done: false,
          automated: true,
          detail: null,
        });
    if (config.release.push !== false)
      items.push({
        section: 'Release day',
        item: `Pushed to ${config.release.push}`,
        done: false,
        automated: true,
        detail: null,
      });
    for (const p of config.release.post)
      items.push({
        section: 'Post-release',
        item: `${p.name} (\`${p.run.map(fillIn).join(' ')}\`)`,
        done: false,
        automated: true,
        detail: null,
      });

    const md = [`# Release checklist: ${tag} (${channel})`, ''];
    for (const section of ['Pre-release', 'Version management', 'Release day', 'Post-release']) {
      const mine = items.filter((i) => i.section === section);
      if (mine.length === 0) continue;
      md.push(`## ${section}`, '');
      for (const i of mine) md.push(`- [${i.done ? 'x' : ' '}] ${i.item}${i.detail ? ` — ${i.detail}` : ''}`);
      md.push('');
    }
    const text =
      flags.format === 'markdown'
        ? md.join('\n')
        : md
            .filter((l) => l !== '')
            .map((l) =>
              l
                .replace(/^# /, '')
                .replace(/^## (.*)$/, '\n$1:')
                .replace(/^- \[x\] /, '  ✓ ')
                .replace(/^- \[ \] /, '  ☐ '),
            )
            .join('\n');
    ctx.out.result(text, { version, tag, channel, items });
    return 0;
  },
});
