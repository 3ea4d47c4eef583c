import { SlipwayError } from '../core/errors.ts';
import type { FeedContext } from './feed-context.ts';
import { pruneChannel } from './prune-channel.ts';

export interface PruneOutcome {
  outcome: 'pruned' | 'planned';
  dryRun: boolean;
  /** Per channel, the releases dropped (or that would be). */
  pruned: Record<string, string[]>;
}

/** `slipway feed prune`: the configured retention (or `--keep` for one channel) applied now. */
export async function prune(
  ctx: FeedContext,
  request: { channel?: string; keep?: string; dryRun?: boolean },
): Promise<PruneOutcome> {
  const retention = ctx.config.feed.retention;
  const targets = request.channel
    ? { [request.channel]: Number(request.keep ?? retention[request.channel]) }
    : retention;
  const pruned: Record<string, string[]> = {};
  for (const [channel, keep] of Object.entries(targets)) {
    if (!Number.isInteger(keep) || keep < 1)
      throw new SlipwayError(
        'USAGE',
        `--keep expects a whole number of releases to keep (1 or more) for ${channel}, got "${request.keep ?? 'nothing'}"`,
      );
    const keys = request.dryRun ? await ctx.keys.online([]) : await ctx.keys.online([channel]);
    const options = { channel, keep, now: ctx.now, expiry: ctx.config.feed.expiry, dryRun: request.dryRun === true };
    pruned[channel] = (await pruneChannel(ctx.store, keys, options)).pruned;
  }
  return { outcome: request.dryRun ? 'planned' : 'pruned', dryRun: request.dryRun === true, pruned };
}
