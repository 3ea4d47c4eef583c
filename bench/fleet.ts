// Fleet cost: the bytes one instance fetches per update check, and the time to publish one more
// release, for feeds of 100, 5,000 and 50,000 releases on one channel. An instance checks (refresh
// through tuf-js, read its channel's index, select, read the newest release's manifest) once to
// fill its metadata cache, then is measured checking again: with nothing new, after one release
// is added, and after the channel's key is rotated. Bytes are counted on the wire (gzip included)
// by a proxy between the instance and `feed serve`.
//
//   node bench/fleet.ts [sizes=100,5000,50000]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { FeedClient } from '../src/feed/client.ts';
import { rotateKey } from '../src/feed/maintain.ts';
import { FeedSession } from '../src/feed/session.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { indexEntry, manifestPath, selectUpdate } from '../src/core/feed/manifest.ts';
import { plainManifest } from '../src/testing/manifests.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { env, newFeed, reporter, WORK } from './lib/feed-setup.ts';

const sizes = (process.argv[2] ?? '100,5000,50000').split(',').map(Number);
const { say } = reporter();
mkdirSync(WORK, { recursive: true });
const dir = mkdtempSync(join(WORK, 'fleet-'));

/** A version for release i: 100 patch releases per minor line, as a long-lived project makes them. */
const versionOf = (i: number): string => `${Math.floor(i / 10000)}.${Math.floor(i / 100) % 100}.${i % 100}`;

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

say(
  '| releases | check, nothing new | check after one release is added | check after the channel key is rotated | publishing one more release |',
);
say('| --- | --- | --- | --- | --- |');
for (const n of sizes) {
  const base = join(dir, String(n));
  const { store, keys, keyDir } = await newFeed(base);
  const art = join(base, 'tiny-linux-amd64.tar.gz');
  writeFileSync(art, 'tiny');
  // Built in one change (publishing them one by one would take hours at 50,000).
  const session = await FeedSession.open(store);
  const index = await session.index('stable');
  for (let i = 0; i < n; i++) {
    const version = versionOf(i);
    const path = `stable/${version}/tiny-linux-amd64.tar.gz`;
    const sha256 = i.toString(16).padStart(64, '0');
    await session.putFile('stable', path, art, { sha256, length: 4 });
    const m = plainManifest(version, 'stable', {
      'linux/amd64': { name: 'tiny-linux-amd64.tar.gz', path, sha256, length: 4 },
    });
    await session.putData('stable', manifestPath('stable', version), JSON.stringify(m));
    index.releases.push(indexEntry(m, manifestPath('stable', version)));
  }
  await session.writeIndex(index, new Date());
  await session.commit(keys, new Date());

  const served = await serveFeed({ dir: store.location });
  let bytes = 0;
  const proxy = createServer((req, res) => {
    const up = request(`${served.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.on('data', (c: Buffer) => (bytes += c.length));
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const inst = join(base, 'instance');
  await mkdir(join(inst, 'metadata'), { recursive: true });
  await copyFile(join(store.location, 'metadata', '1.root.json'), join(inst, 'metadata', 'root.json'));
  const installed = versionOf(Math.max(0, n - 2));
  const check = async (): Promise<number> => {
    bytes = 0;
    const client = new FeedClient({ url, metadataDir: join(inst, 'metadata'), scratchDir: join(inst, 'scratch') });
    await client.refresh();
    const sel = selectUpdate([await client.index('stable', { from: installed })], installed);
    if (sel.target) await client.manifest(sel.target.manifest);
    return bytes;
  };
  await check(); // fills the instance's metadata cache
  const quiet = await check();
  const t = performance.now();
  await publishRelease(store, keys, {
    version: versionOf(n),
    channel: 'stable',
    files: [art],
    now: new Date(),
    unchecked: true,
  });
  const publishMs = performance.now() - t;
  const added = await check();
  await rotateKey(store, { dir: keyDir, env, role: 'stable', algorithm: 'ed25519', now: new Date() });
  const rotated = await check();
  say(`| ${n} | ${kib(quiet)} | ${kib(added)} | ${kib(rotated)} | ${(publishMs / 1000).toFixed(2)} s |`);
  proxy.close();
  await served.server.close();
}
