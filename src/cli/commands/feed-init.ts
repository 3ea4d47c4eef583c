import { initFeed } from '../../feed/init.ts';
import { defineCommand, dryRun, feedDir, json, keysDir } from '../command.ts';
import { feedContext } from '../feed-common.ts';

/** slipway feed init: the first signed metadata of a new feed. */
export default defineCommand({
  options: { keys: keysDir, feed: feedDir, dryRun, json },
  async run(ctx, flags) {
    const f = await feedContext(ctx, flags);
    const keys = await f.keys.all(f.config.channels);
    const { location } = f.store;
    if (flags.dryRun) {
      ctx.out.result(`would create a feed in ${location} with channels ${f.config.channels.join(', ')}`, {
        feed: location,
        channels: f.config.channels,
        dryRun: true,
      });
      return;
    }
    await initFeed(f.store, keys, { now: f.now, expiry: f.config.feed.expiry });
    ctx.out.result(`created a feed in ${location}; instances trust its metadata/1.root.json`, {
      feed: location,
      channels: f.config.channels,
    });
  },
});
