import type { SigningKey } from '../../feed/keys.ts';
import { refreshFeed } from '../../feed/maintain.ts';
import { defineCommand, dryRun, feedDir, json, keysDir } from '../command.ts';
import { feedContext } from '../feed-common.ts';

/** slipway feed refresh: a new timestamp, and the roles past half their period signed again. */
export default defineCommand({
  options: {
    keys: keysDir,
    feed: feedDir,
    offlineKeys: {
      flags: '--offline-keys',
      description: 'also re-sign the top-level targets with targets.pem when it nears expiry',
    },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const f = await feedContext(ctx, flags);
    const channels: Record<string, SigningKey> = {};
    for (const c of f.config.channels) {
      const k = await f.keys.tryLoad(c);
      if (k) channels[c] = k;
    }
    const snapshot = await f.keys.tryLoad('snapshot');
    const keys = {
      timestamp: await f.keys.load('timestamp'),
      channels,
      ...(snapshot ? { snapshot } : {}),
      ...(flags.offlineKeys ? { targets: await f.keys.load('targets') } : {}),
    };
    const r = await refreshFeed(f.store, keys, {
      now: f.now,
      expiry: f.config.feed.expiry,
      dryRun: flags.dryRun === true,
    });
    for (const w of r.warnings) ctx.out.warn(w);
    ctx.out.result(`${flags.dryRun ? 'would sign again' : 'signed again'}: ${r.resigned.join(', ')}`, {
      ...r,
      dryRun: flags.dryRun === true,
    });
  },
});
