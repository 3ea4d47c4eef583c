import { markYankedInChangelog } from '../../release/changelog.ts';
import { yank } from '../../release/yank.ts';
import { defineCommand, feedChange } from '../command.ts';
import { feedContext, versionArgument } from '../feed-common.ts';

/** slipway yank <version> --reason "…" */
export default defineCommand({
  args: [{ name: '<version>', description: 'the version, e.g. 1.3.0' }],
  options: {
    reason: { flags: '--reason <text>', description: 'why, shown to operators', required: true },
    ...feedChange,
  },
  async run(ctx, flags, args) {
    const f = await feedContext(ctx, flags);
    const version = versionArgument(args[0], f.project);
    const r = await yank(f, { version, reason: flags.reason, dryRun: flags.dryRun === true });
    // In the repository, CHANGELOG.md says it too (Keep a Changelog's [YANKED]).
    const changelog =
      f.repoRoot === null ? null : await markYankedInChangelog(f.repoRoot, f.config, version, flags.dryRun === true);
    const marked =
      changelog?.changed === true
        ? `\n${flags.dryRun ? 'would mark' : 'marked'} ${version} [YANKED] in ${changelog.file}${flags.dryRun ? '' : ' (commit it)'}`
        : '';
    const text =
      r.outcome === 'planned'
        ? `would yank ${version} from ${r.channels.join(', ')}: ${r.reason}`
        : r.outcome === 'yanked'
          ? `yanked ${version} from ${r.channels.join(', ')}: ${r.reason}`
          : `${version} was yanked already`;
    ctx.out.result(text + marked, { ...r, changed: r.outcome === 'yanked', changelog });
  },
});
