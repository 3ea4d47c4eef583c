import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { checkPromotion, type PromotionVerdict } from '../core/release/promotion.ts';
import type { KeyRing } from '../feed/key-ring.ts';
import type { FeedSession } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { resolveCommit } from '../git/refs.ts';
import { commitFacts } from './promotion-facts.ts';
import { resolveVersionFiles } from '../project/version-files/index.ts';
import { sep } from 'node:path';

/** What the maintainer's feed operations work with: the strategy, the repository, the feed and the keys. */
export interface FeedContext {
  config: ResolvedConfig;
  /** The repository releases are built from; null when not run inside one. */
  repoRoot: string | null;
  store: FeedStore;
  keys: KeyRing;
  now: Date;
}

/** The full sha of the commit a release names (default HEAD); null outside a repository when none is named. */
export async function releaseCommit(ctx: FeedContext, rev: string | undefined): Promise<string | null> {
  if (ctx.repoRoot === null) return rev ?? null;
  const sha = await resolveCommit(ctx.repoRoot, rev ?? 'HEAD');
  if (sha === null && rev !== undefined)
    throw new SlipwayError('USAGE', `--commit ${rev} is not a commit of ${ctx.repoRoot}`);
  return sha;
}

export function requireChannel(ctx: FeedContext, channel: string): void {
  if (!ctx.config.channels.includes(channel))
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${channel}" is not one of ${ctx.config.channels.join(', ')} (slipway.json "channels")`,
    );
}

/** The promotion rules' verdict for a release entering a channel (or "off" when the strategy disables them). */
export async function judgePromotion(
  ctx: FeedContext,
  session: FeedSession,
  release: { version: string; channel: string; commit: string | null; allow?: string | null },
): Promise<PromotionVerdict> {
  if (!ctx.config.feed.enforcePromotion)
    return { hotfix: false, checks: ['promotion rules off (feed.enforcePromotion)'] };
  const { channels, tagPrefix } = ctx.config;
  const { mainBranch, hotfixBranches, hotfixTypes } = ctx.config.feed;
  const i = channels.indexOf(release.channel);
  const previous = i > 0 && i === channels.length - 1 ? await session.index(channels[i - 1]!) : null;
  const facts =
    ctx.repoRoot !== null && release.commit !== null && i > 0
      ? await commitFacts(ctx.repoRoot, release.commit, ctx.config, { version: release.version, previous })
      : null;
  const releaseFiles = ctx.repoRoot === null ? [] : await releaseFilesOf(ctx.repoRoot, ctx.config);
  return checkPromotion(
    { channels, mainBranch, hotfixBranches, tagPrefix, releaseFiles, hotfixTypes },
    release,
    facts,
    previous,
  );
}

/** What a release commit may touch: the version files, the changelog and UPGRADING.md, relative to the repository. */
export async function releaseFilesOf(root: string, config: ResolvedConfig): Promise<string[]> {
  const files = await resolveVersionFiles(root, config).catch(() => []);
  return [
    ...files.map((f) => f.path.split(sep).join('/')),
    config.changelog.file,
    ...(config.upgrading.file === null ? [] : [config.upgrading.file]),
  ];
}
