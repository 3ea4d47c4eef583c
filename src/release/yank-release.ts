import { SlipwayError } from '../core/errors.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { locateRelease } from './locate.ts';

/** Withdraws a release from every channel: instances never install it; the index keeps it, with the reason. */
export async function yankRelease(
  store: FeedStore,
  keys: OnlineKeys,
  options: { version: string; reason: string; now: Date; expiry?: ExpiryDays },
): Promise<{ channels: string[]; changed: boolean }> {
  if (options.reason.trim() === '')
    throw new SlipwayError(
      'USAGE',
      'give the reason a release is yanked with --reason "…"; instances and the feed show it',
    );
  return changeFeed(store, async (session) => {
    const where = await locateRelease(session, options.version);
    if (where.length === 0)
      throw new SlipwayError(
        'NOT_PUBLISHED',
        `${options.version} was never published to this feed, so there is nothing to yank`,
      );
    const todo = where.filter((w) => w.yanked === null);
    for (const w of todo) {
      if (!keys.channels[w.channel])
        throw new SlipwayError(
          'KEY_MISSING',
          `${options.version} is on ${w.channel}; yanking it needs that channel's key (${w.channel}.pem)`,
        );
      const index = await session.index(w.channel);
      for (const r of index.releases)
        if (r.version === w.manifest.version) r.yanked = { reason: options.reason, at: options.now.toISOString() };
      await session.writeIndex(index, options.now);
    }
    await session.commit(keys, options.now, options.expiry);
    return { channels: where.map((w) => w.channel), changed: todo.length > 0 };
  });
}
