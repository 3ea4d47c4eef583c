import type { OsvAdvisory } from '../core/advisory/osv.ts';
import { advisoriesPath, type FeedAdvisories } from '../core/advisory/feed.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';

/**
 * The public advisories into each channel of the feed, signed with the channel's key like its
 * index: an instance reads <channel>/advisories.json and knows whether its own version is affected.
 * Only disclosed advisories go in; the same list again changes nothing.
 */
export async function writeFeedAdvisories(
  store: FeedStore,
  keys: OnlineKeys,
  advisories: readonly OsvAdvisory[],
  options: { now: Date; expiry?: ExpiryDays },
): Promise<{ channels: string[]; changed: boolean }> {
  const channels = Object.keys(keys.channels);
  const doc: FeedAdvisories = { schema: 1, advisories: [...advisories].sort((a, b) => (a.id < b.id ? -1 : 1)) };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  return changeFeed(store, async (session) => {
    let changed = false;
    for (const channel of channels) {
      const old = await session.readTarget(channel, advisoriesPath(channel));
      if (old !== null && old.toString('utf8') === text) continue;
      await session.putData(channel, advisoriesPath(channel), text);
      changed = true;
    }
    if (changed) await session.commit(keys, options.now, options.expiry);
    return { channels, changed };
  });
}
