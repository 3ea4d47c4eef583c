import { SlipwayError } from '../core/errors.ts';
import { FeedSession } from '../feed/session.ts';
import { judgePromotion, requireChannel, type FeedContext } from './feed-context.ts';
import { locateRelease } from './locate.ts';
import { promoteRelease } from './promote-release.ts';

export interface PromoteOutcome {
  outcome: 'promoted' | 'unchanged' | 'planned';
  dryRun: boolean;
  version: string;
  from: string;
  to: string;
  checks: string[];
  hotfix: boolean;
}

/** `slipway promote <v> --to <channel>`: the same bytes listed on a more stable channel, after the rules. */
export async function promote(
  ctx: FeedContext,
  request: { version: string; to: string; dryRun?: boolean },
): Promise<PromoteOutcome> {
  const { version, to } = request;
  const channels = ctx.config.channels;
  requireChannel(ctx, to);
  const session = await FeedSession.open(ctx.store);
  const where = await locateRelease(session, version);
  if (where.length === 0)
    throw new SlipwayError(
      'NOT_PUBLISHED',
      `${version} was never published to this feed; publish it first (slipway publish ${version} --channel <channel> <files…>)`,
    );
  const onTo = where.some((w) => w.channel === to);
  if (!onTo && !where.some((w) => channels.indexOf(w.channel) < channels.indexOf(to)))
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${version} is on ${where.map((w) => w.channel).join(', ')}; promotion goes to a more stable channel than that`,
    );
  const verdict = await judgePromotion(ctx, session, { version, channel: to, commit: where[0]!.manifest.commit });
  const keys = await ctx.keys.online([to]);
  const base = { version, to, checks: verdict.checks };
  if (request.dryRun)
    return { ...base, outcome: 'planned', dryRun: true, from: where[0]!.channel, hotfix: verdict.hotfix };
  const r = await promoteRelease(ctx.store, keys, {
    version,
    to,
    hotfix: verdict.hotfix,
    now: ctx.now,
    expiry: ctx.config.feed.expiry,
  });
  return {
    ...base,
    outcome: r.changed ? 'promoted' : 'unchanged',
    dryRun: false,
    from: r.from,
    hotfix: r.manifest.hotfix,
  };
}
