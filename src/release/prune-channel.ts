import { sortIndex } from '../core/feed/manifest.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';

/** Keeps the newest `keep` releases of a channel; older ones leave the index, the role and the store. */
export async function pruneChannel(
  store: FeedStore,
  keys: OnlineKeys,
  options: { channel: string; keep: number; now: Date; expiry?: ExpiryDays; dryRun?: boolean },
): Promise<{ pruned: string[] }> {
  return changeFeed(store, async (session) => {
    const index = await session.index(options.channel);
    sortIndex(index.releases);
    const pruned = index.releases.slice(options.keep);
    if (pruned.length === 0 || options.dryRun) return { pruned: pruned.map((r) => r.version) };
    const gone = new Set(pruned.map((r) => r.version));
    const paths: string[] = [];
    for (const r of pruned) {
      const m = await session.manifest(options.channel, r.version).catch(() => null);
      paths.push(r.manifest, ...Object.values(m?.artifacts ?? {}).map((a) => a.path));
    }
    await session.removeTargets(options.channel, paths);
    index.releases = index.releases.slice(0, options.keep);
    await session.writeIndex(index, options.now);
    await session.commit(keys, options.now, options.expiry);
    // The human view of a pruned release goes too, unless another channel still lists the version.
    const elsewhere = new Set<string>();
    for (const c of session.channels())
      if (c !== options.channel) for (const r of (await session.index(c)).releases) elsewhere.add(r.version);
    for (const v of gone) if (!elsewhere.has(v)) await store.remove(await store.list(`releases/${v}`));
    return { pruned: [...gone] };
  });
}
