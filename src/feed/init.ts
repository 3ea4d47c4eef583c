import { createHash } from 'node:crypto';
import { MetadataKind } from '@tufjs/models';
import { SlipwayError } from '../core/errors.ts';
import {
  BINS,
  CHANNELS_TARGET,
  DEFAULT_EXPIRY,
  binDelegations,
  binName,
  delegations,
  expires,
  serialize,
  signed,
  type ExpiryDays,
  type FeedKeys,
  type Json,
} from './metadata.ts';
import type { FeedStore } from './store.ts';

/** Creates a new feed: root (version 1), targets delegating to one role per channel, snapshot, timestamp. */
export async function initFeed(
  store: FeedStore,
  keys: FeedKeys,
  options: { now: Date; expiry?: ExpiryDays },
): Promise<void> {
  if ((await store.read('metadata/root.json')) !== null)
    throw new SlipwayError('FEED_EXISTS', `${store.location} holds a feed already`);
  const foreign = [...(await store.list('metadata')), ...(await store.list('targets'))];
  if (foreign.length > 0)
    throw new SlipwayError(
      'FEED_FOREIGN',
      `${store.location} holds files that are not a Slipway feed (${foreign[0]}…); choose an empty folder`,
    );
  const e = options.expiry ?? DEFAULT_EXPIRY;
  const now = options.now;
  const top = [keys.root, keys.targets, keys.snapshot, keys.timestamp];
  const rootMd = signed(
    MetadataKind.Root,
    {
      version: 1,
      expires: expires(now, e.root),
      consistent_snapshot: true,
      keys: Object.fromEntries(top.map((k) => [k.key.keyID, k.key.toJSON()])),
      roles: Object.fromEntries(top.map((k) => [k.role, { keyids: [k.key.keyID], threshold: 1 }])),
    },
    keys.root,
  );
  const channels = Object.entries(keys.channels);
  // The channel order (least to most stable) is signed with the top-level targets, so an instance
  // knows which channels are "more stable" than its own whatever the maintainer named them.
  const channelList = Buffer.from(`${JSON.stringify({ channels: Object.keys(keys.channels) })}\n`);
  const channelsHash = createHash('sha256').update(channelList).digest('hex');
  await store.write(`targets/${channelsHash}.${CHANNELS_TARGET}`, channelList);
  const targetsMd = signed(
    MetadataKind.Targets,
    {
      version: 1,
      expires: expires(now, e.targets),
      targets: { [CHANNELS_TARGET]: { length: channelList.length, hashes: { sha256: channelsHash } } },
      delegations: delegations(Object.fromEntries(Object.entries(keys.channels).map(([c, k]) => [c, k.key]))),
    },
    keys.targets,
  );
  const targetsBytes = serialize(targetsMd);
  const meta: Json = { 'targets.json': { version: 1, length: targetsBytes.length } };
  for (const [channel, k] of channels) {
    const bytes = serialize(
      signed(
        MetadataKind.Targets,
        { version: 1, expires: expires(now, e.targets), targets: {}, delegations: binDelegations(channel, k, BINS) },
        k,
      ),
    );
    await store.write(`metadata/1.${channel}.json`, bytes);
    meta[`${channel}.json`] = { version: 1, length: bytes.length };
    for (let i = 0; i < BINS; i++) {
      const bin = serialize(
        signed(MetadataKind.Targets, { version: 1, expires: expires(now, e.targets), targets: {} }, k),
      );
      await store.write(`metadata/1.${binName(channel, i)}.json`, bin);
      meta[`${binName(channel, i)}.json`] = { version: 1, length: bin.length };
    }
  }
  await store.write('metadata/1.targets.json', targetsBytes);
  await store.write(
    'metadata/1.snapshot.json',
    serialize(signed(MetadataKind.Snapshot, { version: 1, expires: expires(now, e.snapshot), meta }, keys.snapshot)),
  );
  await store.write(
    'metadata/timestamp.json',
    serialize(
      signed(
        MetadataKind.Timestamp,
        { version: 1, expires: expires(now, e.timestamp), meta: { 'snapshot.json': { version: 1 } } },
        keys.timestamp,
      ),
    ),
  );
  // Root last: a folder with root.json is a whole feed.
  await store.write('metadata/1.root.json', serialize(rootMd));
  await store.write('metadata/root.json', serialize(rootMd));
}
