import { SlipwayError } from '../core/errors.ts';
import { indexEntry, manifestPath, type Artifact, type Manifest } from '../core/feed/manifest.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { checkVersion, locateRelease } from './locate.ts';

/**
 * Lists a published release on a more stable channel: the same artifact bytes, signed by that
 * channel's role. The caller checks the promotion rules first (see rules.ts).
 */
export async function promoteRelease(
  store: FeedStore,
  keys: OnlineKeys,
  options: { version: string; to: string; hotfix?: boolean; now: Date; expiry?: ExpiryDays },
): Promise<{ changed: boolean; from: string; manifest: Manifest }> {
  const version = checkVersion(options.version);
  return changeFeed(store, async (session) => {
    if (!session.channels().includes(options.to))
      throw new SlipwayError(
        'UNKNOWN_CHANNEL',
        `channel "${options.to}" is not in this feed; it has ${session.channels().join(', ')}`,
      );
    const where = await locateRelease(session, version);
    if (where.length === 0)
      throw new SlipwayError(
        'NOT_PUBLISHED',
        `${version} was never published to this feed; publish it first (slipway publish ${version} --channel <channel> <files…>)`,
      );
    const already = where.find((w) => w.channel === options.to);
    if (already) return { changed: false, from: options.to, manifest: already.manifest };
    const yanked = where.find((w) => w.yanked);
    if (yanked)
      throw new SlipwayError(
        'YANKED',
        `${version} was yanked (${yanked.yanked!.reason}); a yanked release cannot be promoted`,
      );
    const source = where[0]!;
    const artifacts: Record<string, Artifact> = {};
    for (const [platform, a] of Object.entries(source.manifest.artifacts)) {
      const path = `${options.to}/${version}/${a.name}`;
      await session.copyTarget(source.channel, a.path, options.to, path);
      artifacts[platform] = { ...a, path };
    }
    const manifest: Manifest = {
      ...source.manifest,
      channel: options.to,
      hotfix: source.manifest.hotfix || options.hotfix === true,
      artifacts,
    };
    const path = manifestPath(options.to, version);
    await session.putData(options.to, path, `${JSON.stringify(manifest, null, 2)}\n`);
    const index = await session.index(options.to);
    index.releases.push(indexEntry(manifest, path));
    await session.writeIndex(index, options.now);
    await session.commit(keys, options.now, options.expiry);
    return { changed: true, from: source.channel, manifest };
  });
}
