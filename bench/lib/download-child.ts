// Child process for bench/agent.ts: what an instance does to fetch an update — refresh the TUF
// metadata, read the channel index and the manifest, download and verify the artifact — with its
// own peak RSS.
import { mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeedClient } from '../../src/feed/client.ts';
import { selectUpdate } from '../../src/core/feed/manifest.ts';

const [url, rootFile, work] = process.argv.slice(2) as [string, string, string];
await mkdir(join(work, 'metadata'), { recursive: true });
await copyFile(rootFile, join(work, 'metadata', 'root.json'));
const t = performance.now();
const client = new FeedClient({ url, metadataDir: join(work, 'metadata'), scratchDir: join(work, 'scratch') });
const sel = selectUpdate([await client.index('stable')], null);
const m = await client.manifest(sel.target!.manifest);
await client.download(m.artifacts['linux/amd64']!, join(work, 'artifact.tar.gz'));
process.stdout.write(JSON.stringify({ ms: performance.now() - t, maxRssKiB: process.resourceUsage().maxRSS }));
