// A channel's index in shards: a publish rewrites the one shard whose range holds the new release
// and the list, ranges never move (a shard past twice the size is split), an instance reads only
// the shards holding its version or newer, and pruning drops emptied shards.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ChannelShardsSchema,
  indexEntry,
  manifestPath,
  planShards,
  type IndexEntry,
} from '../src/core/feed/manifest.ts';
import { plainManifest } from '../src/testing/manifests.ts';
import { FeedClient } from '../src/feed/client.ts';
import { FeedSession } from '../src/feed/session.ts';
import { pruneChannel } from '../src/release/prune-channel.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { sampleFeed } from './agent-helpers.ts';
import { tempDir } from './helpers.ts';

const entry = (version: string): IndexEntry => ({
  version,
  commit: null,
  buildTime: '2026-01-01T00:00:00.000Z',
  security: null,
  breaking: false,
  minimumVersion: null,
  hotfix: false,
  manifest: `stable/${version}/release.json`,
  yanked: null,
});

describe('planning shards', () => {
  it('keeps ranges, splits a shard past twice the size, drops empty ones', () => {
    const vs = ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0'].map(entry);
    const first = planShards(vs, [], 2);
    assert.deepEqual(
      first.map((s) => [s.from, s.releases.map((r) => r.version)]),
      [
        ['0.0.0-0', ['0.2.0', '0.1.0']],
        ['0.3.0', ['0.4.0', '0.3.0']],
        ['0.5.0', ['0.5.0']],
      ],
    );
    // A hotfix in an old range goes into that range; the others do not move.
    const bounds = first.map((s) => s.from);
    const next = planShards([...vs, entry('0.3.1')], bounds, 2);
    assert.deepEqual(
      next.map((s) => [s.from, s.releases.length]),
      [
        ['0.0.0-0', 2],
        ['0.3.0', 3],
        ['0.5.0', 1],
      ],
    );
    // Pruned away: the range leaves.
    assert.deepEqual(
      planShards(vs.slice(2), bounds, 2).map((s) => s.from),
      ['0.3.0', '0.5.0'],
    );
  });
});

describe('a sharded channel index in a feed', () => {
  it('rewrites only the shard that changed, serves instances only what they need, drops pruned shards', async () => {
    const feed = await sampleFeed();
    const art = join(feed.base, 'plain', 'tiny-linux-amd64.bin');
    await mkdir(join(feed.base, 'plain'), { recursive: true });
    await writeFile(art, 'tiny');
    // 250 releases, each a new minor (as a 0.x project makes them), in one change.
    const session = await FeedSession.open(feed.store);
    const index = await session.index('stable');
    for (let i = 1; i <= 250; i++) {
      const version = `0.${i}.0`;
      const m = plainManifest(version, 'stable');
      await session.putData('stable', manifestPath('stable', version), JSON.stringify(m));
      index.releases.push(indexEntry(m, manifestPath('stable', version)));
    }
    await session.writeIndex(index, new Date());
    await session.commit(feed.keys, new Date());
    const top = async () => {
      const s = await FeedSession.open(feed.store);
      return ChannelShardsSchema.parse(JSON.parse((await s.readTarget('stable', 'stable/index.json'))!.toString()));
    };
    const hashes = async () => {
      const s = await FeedSession.open(feed.store);
      const out: Record<string, string | undefined> = {};
      for (const sh of (await top()).shards) out[sh.from] = (await s.target('stable', sh.path))?.hashes.sha256;
      return out;
    };
    const before = await hashes();
    assert.deepEqual(Object.keys(before), ['0.201.0', '0.101.0', '0.0.0-0']);
    await publishRelease(feed.store, feed.keys, {
      version: '0.251.0',
      channel: 'stable',
      files: [art],
      now: new Date(),
    });
    const after = await hashes();
    assert.equal(after['0.0.0-0'], before['0.0.0-0'], 'an untouched shard is not rewritten');
    assert.equal(after['0.101.0'], before['0.101.0']);
    assert.notEqual(after['0.201.0'], before['0.201.0']);

    const inst = await tempDir();
    await mkdir(join(inst, 'metadata'));
    await writeFile(join(inst, 'metadata', 'root.json'), (await feed.store.read('metadata/1.root.json'))!);
    const client = new FeedClient({ url: feed.url, metadataDir: join(inst, 'metadata'), scratchDir: join(inst, 's') });
    await client.refresh();
    const mine = await client.index('stable', { from: '0.240.0' });
    assert.equal(mine.releases.length, 51, 'only the newest shard');
    assert.equal(mine.releases[0]!.version, '0.251.0');
    assert.equal((await client.index('stable')).releases.length, 251);

    await pruneChannel(feed.store, feed.keys, { channel: 'stable', keep: 60, now: new Date() });
    assert.deepEqual(
      (await top()).shards.map((s) => [s.from, s.releases]),
      [
        ['0.201.0', 51],
        ['0.101.0', 9],
      ],
    );
  });
});
