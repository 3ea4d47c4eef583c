import type { ResolvedConfig } from '../core/config/schema.ts';
import { lifecyclePath, type FeedLifecycle } from '../core/lifecycle/feed.ts';
import type { OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { lifecycleOf } from './lifecycle.ts';

/**
 * The lifecycle table into the channels whose keys are given (a release publishing to a channel
 * refreshes that channel's), signed like the index: an instance on a security-only or end-of-life
 * line is warned, with the line to move to. The same table again changes nothing.
 */
export async function writeFeedLifecycle(
  store: FeedStore,
  keys: OnlineKeys,
  root: string,
  config: ResolvedConfig,
  now: Date,
): Promise<boolean> {
  const doc: FeedLifecycle = {
    schema: 1,
    line: config.lifecycle.line,
    cycles: await lifecycleOf(root, config, now.toISOString().slice(0, 10)),
  };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  return changeFeed(store, async (session) => {
    let changed = false;
    for (const channel of Object.keys(keys.channels)) {
      const old = await session.readTarget(channel, lifecyclePath(channel));
      if (old !== null && old.toString('utf8') === text) continue;
      await session.putData(channel, lifecyclePath(channel), text);
      changed = true;
    }
    if (changed) await session.commit(keys, now, config.feed.expiry);
    return changed;
  });
}
