import { SlipwayError } from '../core/errors.ts';
import { FeedSession } from '../feed/session.ts';
import type { FeedContext } from './feed-context.ts';
import { locateRelease } from './locate.ts';
import { yankRelease } from './yank-release.ts';

export interface YankOutcome {
  outcome: 'yanked' | 'unchanged' | 'planned';
  dryRun: boolean;
  version: string;
  channels: string[];
  reason: string;
}

/** `slipway yank <v> --reason …`: withdrawn from every channel that lists it; the feed keeps it with the reason. */
export async function yank(
  ctx: FeedContext,
  request: { version: string; reason: string; dryRun?: boolean },
): Promise<YankOutcome> {
  const { version, reason } = request;
  if (reason.trim() === '')
    throw new SlipwayError('USAGE', 'give the reason with --reason "…"; instances and the feed show it');
  const where = await locateRelease(await FeedSession.open(ctx.store), version);
  if (where.length === 0)
    throw new SlipwayError('NOT_PUBLISHED', `${version} was never published to this feed, so there is nothing to yank`);
  const channels = where.map((w) => w.channel);
  if (request.dryRun) return { outcome: 'planned', dryRun: true, version, channels, reason };
  const keys = await ctx.keys.online(channels);
  const r = await yankRelease(ctx.store, keys, { version, reason, now: ctx.now, expiry: ctx.config.feed.expiry });
  return { outcome: r.changed ? 'yanked' : 'unchanged', dryRun: false, version, channels: r.channels, reason };
}
