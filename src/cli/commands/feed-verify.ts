import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectUpdate, visibleChannels } from '../../core/feed/manifest.ts';
import { defineCommand, feedFolder, json } from '../command.ts';
import { FeedClient } from '../../feed/client.ts';
import { serveFeed } from '../../feed/serve.ts';
import { openStore } from '../../feed/store.ts';
import { SlipwayError } from '../../core/errors.ts';

/** slipway feed verify: what an instance sees, through tuf-js. */
export default defineCommand({
  options: {
    feed: feedFolder,
    url: { flags: '--url <url>', description: 'verify the feed served here instead of the folder' },
    trustedRoot: {
      flags: '--trusted-root <file>',
      description: "the root.json instances trust (default: the feed's 1.root.json)",
    },
    json,
  },
  async run(ctx, flags) {
    let url = flags.url;
    let close: (() => Promise<void>) | null = null;
    const s3 = flags.feed.startsWith('s3://');
    if (s3 && url === undefined)
      throw new SlipwayError(
        'USAGE',
        `feed verify reads a feed the way instances do, over HTTP: for ${flags.feed} pass --url <the bucket's public URL> (or its CDN's)`,
      );
    const dir = s3 ? flags.feed : ctx.path(flags.feed);
    if (url === undefined) {
      const served = await serveFeed({ dir });
      url = served.url;
      close = () => served.server.close();
    }
    const work = await mkdtemp(join(tmpdir(), 'slipway-verify-'));
    try {
      const metadataDir = join(work, 'metadata');
      await mkdir(metadataDir);
      if (flags.trustedRoot) await copyFile(ctx.path(flags.trustedRoot), join(metadataDir, 'root.json'));
      else {
        // The feed's first root, from the folder or the bucket.
        const first = await (await openStore(dir, ctx.io.env)).read('metadata/1.root.json');
        if (first === null)
          throw new SlipwayError('FEED_NOT_FOUND', `${dir} has no metadata/1.root.json: it is not a feed`);
        await writeFile(join(metadataDir, 'root.json'), first);
      }
      const client = new FeedClient({ url, metadataDir, scratchDir: join(work, 'scratch') });
      await client.refresh();
      const report = [];
      const feedChannels = await client.channels();
      for (const channel of feedChannels) {
        const indexes = [];
        for (const c of visibleChannels(feedChannels, channel)) indexes.push(await client.index(c));
        const sel = selectUpdate(indexes, null);
        const platforms = sel.target ? Object.keys((await client.manifest(sel.target.manifest)).artifacts) : [];
        report.push({
          channel,
          newest: sel.target?.version ?? null,
          from: sel.target?.channel ?? null,
          platforms,
          releases: indexes[0]!.releases.length,
          yanked: sel.yanked.map((y) => y.version),
        });
      }
      ctx.out.result(
        [
          `verified ${url} with tuf-js: signatures, versions, expiry and lengths hold`,
          ...report.map(
            (r) =>
              `  an instance on ${r.channel.padEnd(8)} installs ${r.newest ?? 'nothing (no release)'}${r.from && r.from !== r.channel ? ` (from ${r.from})` : ''}${r.platforms.length ? ` for ${r.platforms.join(', ')}` : ''}`,
          ),
        ].join('\n'),
        { url, ok: true, channels: report },
      );
    } finally {
      await rm(work, { recursive: true, force: true });
      await close?.();
    }
  },
});
