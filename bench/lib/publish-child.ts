// Child process for bench/feed.ts: hashes an artifact as publishing does, then publishes it,
// and reports the times and its own peak RSS.
import { hashFile } from '../../src/io/hash.ts';
import { publishRelease } from '../../src/release/publish-release.ts';
import { loadKey } from '../../src/feed/keys.ts';
import { LocalStore } from '../../src/feed/store.ts';
import { env } from './feed-setup.ts';

const [feedDir, keyDir, file, version] = process.argv.slice(2) as [string, string, string, string];
let t = performance.now();
await hashFile(file);
const hashMs = performance.now() - t;
const load = (r: string) => loadKey(r, { dir: keyDir, env });
const keys = {
  snapshot: await load('snapshot'),
  timestamp: await load('timestamp'),
  channels: { stable: await load('stable') },
};
t = performance.now();
// Random bytes, not an archive: published unchecked (a real .tar.gz adds one streaming read of its headers).
await publishRelease(new LocalStore(feedDir), keys, {
  version,
  channel: 'stable',
  files: [file],
  now: new Date(),
  unchecked: true,
});
const publishMs = performance.now() - t;
process.stdout.write(JSON.stringify({ hashMs, publishMs, maxRssKiB: process.resourceUsage().maxRSS }));
