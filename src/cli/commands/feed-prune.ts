import { prune } from '../../release/prune.ts';
import { defineCommand, dryRun, feedDir, json, keysDir } from '../command.ts';
import { feedContext } from '../feed-common.ts';

/** slipway feed prune [--channel c --keep n] */
export default defineCommand({
  options: {
    keys: keysDir,
    feed: feedDir,
    channel: { flags: '-c, --channel <channel>', description: 'only this channel' },
    keep: { flags: '--keep <n>', description: 'how many releases to keep (with --channel)' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const f = await feedContext(ctx, flags);
    const r = await prune(f, {
      ...(flags.channel ? { channel: flags.channel } : {}),
      ...(flags.keep ? { keep: flags.keep } : {}),
      dryRun: flags.dryRun === true,
    });
    const lines = Object.entries(r.pruned).map(
      ([c, v]) =>
        `${r.dryRun ? 'would prune' : 'pruned'} ${v.length} ${c} release(s)${v.length ? `: ${v.join(', ')}` : ''}`,
    );
    ctx.out.result(lines.join('\n'), r);
  },
});
