import { defineCommand, json } from '../command.ts';
import { computeNext } from '../../release/next.ts';
import { loadProject } from '../context.ts';

export default defineCommand({
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'release channel (nightly, beta, stable…)' },
    releaseAs: { flags: '--release-as <version>', description: 'release this version instead (e.g. 1.0.0)' },
    verbose: {
      flags: '-v, --verbose',
      description: 'also list commits that are not conventional and tags that are not versions',
    },
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const { config, root, repo } = await loadProject(ctx, flags);
    const channel = flags.channel ?? config.stableChannel;
    const r = await computeNext({ cwd: root, repo, config, channel, releaseAs: flags.releaseAs ?? null });
    const deciding = new Set(r.deciding.map((c) => c.sha));
    const data = {
      current: r.current,
      base: r.base,
      next: r.next,
      tag: r.tag,
      bump: r.bump,
      channel: r.channel,
      releaseAs: r.releaseAs,
      reason: r.reason,
      head: r.head,
      commits: r.selection.included.map((c) => ({
        sha: c.sha,
        type: c.type,
        scope: c.scope,
        subject: c.subject,
        breaking: c.breaking,
        decisive: deciding.has(c.sha),
      })),
      nonConventional: r.selection.nonConventional.map((c) => ({ sha: c.sha, subject: c.header })),
      cancelled: r.selection.cancelled.map((p) => ({ sha: p.commit.sha, revertedBy: p.revertedBy.sha })),
      skippedTags: r.skippedTags,
      security: r.markers.security,
      breaking: r.markers.breaking,
      taken: r.takenBy,
      warnings: r.warnings,
    };
    for (const w of r.warnings) out.warn(w);
    const lines: string[] = [];
    if (r.next === null)
      lines.push(`No release on ${r.channel}: ${r.reason}.${r.current === null ? '' : ` Current: ${r.current}.`}`);
    else lines.push(`${r.next}`, '', `${r.current ?? '(no release yet)'} -> ${r.next} on ${r.channel}: ${r.reason}`);
    if (r.next !== null && (r.markers.security !== null || r.markers.breaking))
      lines.push(
        `Marked: ${[r.markers.security ? `security (${r.markers.security.severity}${r.markers.security.advisory ? `, ${r.markers.security.advisory}` : ''})` : null, r.markers.breaking ? 'breaking' : null].filter((x) => x !== null).join(', ')}`,
      );
    if (r.deciding.length > 0) {
      lines.push('', 'Decided by:');
      for (const c of r.deciding) lines.push(`  ${c.shortSha} ${c.header}`);
    }
    const others = r.selection.included.filter((c) => !deciding.has(c.sha));
    if (others.length > 0)
      lines.push('', `Also in this release: ${others.length} commit${others.length === 1 ? '' : 's'}`);
    if (r.selection.cancelled.length > 0)
      lines.push(`Cancelled by reverts: ${r.selection.cancelled.map((p) => p.commit.shortSha).join(', ')}`);
    if (r.selection.nonConventional.length > 0) {
      lines.push(
        `Not conventional (ignored): ${r.selection.nonConventional.length}${flags.verbose ? '' : ' (list them with --verbose)'}`,
      );
      if (flags.verbose) for (const c of r.selection.nonConventional) lines.push(`  ${c.shortSha} ${c.header}`);
    }
    if (r.skippedTags.length > 0) {
      lines.push(
        `Tags skipped (not ${config.tagPrefix}<semver>): ${r.skippedTags.length}${flags.verbose ? '' : ' (list them with --verbose)'}`,
      );
      if (flags.verbose) for (const t of r.skippedTags) lines.push(`  ${t}`);
    }
    out.result(lines.join('\n'), data);
    return 0;
  },
});
