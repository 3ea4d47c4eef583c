// A channel's index sharded by release line: publishing rewrites one shard and the list of lines,
// an instance reads only the lines from its own version up, and pruning drops emptied lines.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChannelLinesSchema, shardPath } from '../src/core/feed/manifest.ts';
import { FeedClient } from '../src/feed/client.ts';
import { FeedSession } from '../src/feed/session.ts';
import { pruneChannel } from '../src/release/prune-channel.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { sampleFeed } from './agent-helpers.ts';
import { tempDir } from './helpers.ts';

describe('a channel index sharded by release line', () => {
  it('rewrites only the changed line, serves instances only their lines, and drops pruned lines', async () => {
    const feed = await sampleFeed();
    const art = join(feed.base, 'plain', 'tiny-linux-amd64.bin');
    await mkdir(join(feed.base, 'plain'), { recursive: true });
    await writeFile(art, 'tiny');
    const publish = (version: string) =>
      publishRelease(feed.store, feed.keys, { version, channel: 'stable', files: [art], now: new Date() });
    for (const v of ['1.0.0', '1.0.1', '1.1.0', '2.0.0']) await publish(v);
    const shardHash = async (line: string) =>
      (await (await FeedSession.open(feed.store)).target('stable', shardPath('stable', line)))?.hashes.sha256;
    const before = { '1.0': await shardHash('1.0'), '1.1': await shardHash('1.1'), '2.0': await shardHash('2.0') };
    await publish('2.0.1');
    assert.equal(await shardHash('1.0'), before['1.0'], 'an untouched line is not rewritten');
    assert.equal(await shardHash('1.1'), before['1.1']);
    assert.notEqual(await shardHash('2.0'), before['2.0']);
    const session = await FeedSession.open(feed.store);
    const top = ChannelLinesSchema.parse(
      JSON.parse((await session.readTarget('stable', 'stable/index.json'))!.toString()),
    );
    assert.deepEqual(
      top.lines.map((l) => [l.line, l.newest, l.releases]),
      [
        ['2.0', '2.0.1', 2],
        ['1.1', '1.1.0', 1],
        ['1.0', '1.0.1', 2],
      ],
    );

    const inst = await tempDir();
    await mkdir(join(inst, 'metadata'));
    await writeFile(join(inst, 'metadata', 'root.json'), (await feed.store.read('metadata/1.root.json'))!);
    const client = new FeedClient({ url: feed.url, metadataDir: join(inst, 'metadata'), scratchDir: join(inst, 's') });
    await client.refresh();
    assert.deepEqual(
      (await client.index('stable', { from: '1.1.0' })).releases.map((r) => r.version),
      ['2.0.1', '2.0.0', '1.1.0'],
    );
    assert.equal((await client.index('stable')).releases.length, 5);

    await pruneChannel(feed.store, feed.keys, { channel: 'stable', keep: 2, now: new Date() });
    const pruned = await FeedSession.open(feed.store);
    assert.deepEqual(
      (await pruned.index('stable')).releases.map((r) => r.version),
      ['2.0.1', '2.0.0'],
    );
    assert.equal(await pruned.target('stable', shardPath('stable', '1.0')), undefined, 'an emptied line leaves');
  });
});
