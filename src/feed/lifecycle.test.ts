import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { SlipwayError } from '../core/errors.ts';
import { selectUpdate, visibleChannels, type ChannelIndex } from '../core/feed/manifest.ts';
import { tempDir } from '../../test/helpers.ts';
import { startS3 } from '../../test/s3-server.ts';
import { FeedClient } from './client.ts';
import { createKeys } from './keys.ts';
import { feedStatus, refreshFeed, rotateKey } from './maintain.ts';
import { FeedSession } from './session.ts';
import { initFeed } from './init.ts';
import { publishRelease as publishChecked } from '../release/publish-release.ts';

// These tests are about TUF and the bytes of the feed: their artifacts are plain bytes, not
// archives, so they publish without the artifact checks (test/feed-cli.test.ts covers those).
const publishRelease: typeof publishChecked = (store, keys, options) =>
  publishChecked(store, keys, { ...options, unchecked: true });
import { yankRelease } from '../release/yank-release.ts';
import { type FeedKeys } from './metadata.ts';
import { serveFeed } from './serve.ts';
import { LocalStore, type FeedStore } from './store.ts';

const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };
const ROLES = ['root', 'targets', 'snapshot', 'timestamp', 'nightly', 'beta', 'stable'];

async function makeKeys(dir: string): Promise<FeedKeys> {
  const created = await createKeys(ROLES, 'ed25519', { dir, env });
  const by = Object.fromEntries(created.map((k) => [k.role, k]));
  return {
    root: by.root!,
    targets: by.targets!,
    snapshot: by.snapshot!,
    timestamp: by.timestamp!,
    channels: { nightly: by.nightly!, beta: by.beta!, stable: by.stable! },
  };
}

async function setup(store?: (base: string) => Promise<FeedStore>) {
  const base = await tempDir();
  const keyDir = join(base, 'keys');
  const keys = await makeKeys(keyDir);
  const s = store ? await store(base) : new LocalStore(join(base, 'feed'));
  await initFeed(s, keys, { now: new Date() });
  const artifact = async (name: string, content: string): Promise<string> => {
    const p = join(base, 'in', name);
    await mkdir(join(base, 'in'), { recursive: true });
    await writeFile(p, content);
    return p;
  };
  return { base, keyDir, keys, store: s, artifact };
}

async function served(dir: string): Promise<string> {
  const { url, server } = await serveFeed({ dir });
  after(() => server.close());
  return url;
}

async function instance(url: string, rootFile: string): Promise<FeedClient> {
  const dir = await tempDir('slipway-instance-');
  await mkdir(join(dir, 'metadata'));
  await copyFile(rootFile, join(dir, 'metadata', 'root.json'));
  return new FeedClient({ url, metadataDir: join(dir, 'metadata'), scratchDir: join(dir, 'scratch') });
}

async function indexes(client: FeedClient, channel: string): Promise<ChannelIndex[]> {
  const out = [];
  for (const c of visibleChannels(['nightly', 'beta', 'stable'], channel)) out.push(await client.index(c));
  return out;
}

describe('release manifests and channel indexes, read through tuf-js', () => {
  it('an instance finds, selects and downloads a release without the whole history', async () => {
    const f = await setup();
    const now = new Date();
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [
        await f.artifact('app-linux-amd64.tar.gz', 'v1 amd64'),
        await f.artifact('app-linux-arm64.tar.gz', 'v1 arm64'),
      ],
      now,
      commit: 'a'.repeat(40),
      notes: '# 1.0.0\n',
    });
    await publishRelease(f.store, f.keys, {
      version: '1.1.0-beta.1',
      channel: 'beta',
      files: [await f.artifact('app-linux-amd64.tar.gz', 'beta amd64')],
      now,
    });
    await publishRelease(f.store, f.keys, {
      version: '2.0.0',
      channel: 'stable',
      files: [await f.artifact('app-linux-amd64.tar.gz', 'v2')],
      now,
      breaking: true,
      minimumVersion: '1.0.0',
    });
    await publishRelease(f.store, f.keys, {
      version: '1.0.1',
      channel: 'stable',
      files: [await f.artifact('app-linux-amd64.tar.gz', 'v1.0.1')],
      now,
      security: { severity: 'critical', advisory: 'CVE-2026-1' },
    });
    const url = await served(f.store.location);
    const client = await instance(url, join(f.store.location, 'metadata', '1.root.json'));

    const stable = await indexes(client, 'stable');
    assert.deepEqual(
      stable[0]!.releases.map((r) => r.version),
      ['2.0.0', '1.0.1', '1.0.0'],
    );
    // From 0.9.0 the newest (2.0.0, minimum 1.0.0) is out of reach: 1.0.1 is the stepping stone, and it is a security fix.
    let sel = selectUpdate(stable, '0.9.0');
    assert.equal(sel.target?.version, '1.0.1');
    assert.equal(sel.steppingStone, true);
    assert.equal(sel.security, 'critical');
    sel = selectUpdate(stable, '1.0.1');
    assert.equal(sel.target?.version, '2.0.0');
    assert.equal(sel.security, null);
    assert.equal(selectUpdate(stable, '2.0.0').target, null);
    // Beta sees beta and stable.
    assert.equal(selectUpdate(await indexes(client, 'beta'), '1.0.0').target?.version, '2.0.0');
    assert.equal(selectUpdate([await client.index('beta')], '1.0.0').target?.version, '1.1.0-beta.1');

    const manifest = await client.manifest(stable[0]!.releases.find((r) => r.version === '1.0.0')!.manifest);
    assert.deepEqual(Object.keys(manifest.artifacts).sort(), ['linux/amd64', 'linux/arm64']);
    assert.equal(manifest.commit, 'a'.repeat(40));
    assert.equal(manifest.notes, '# 1.0.0\n');
    const dest = join(f.base, 'got.tar.gz');
    await client.download(manifest.artifacts['linux/arm64']!, dest);
    assert.equal(await readFile(dest, 'utf8'), 'v1 arm64');
  });

  it('an artifact longer than signed is cut off (endless data) and nothing is left behind', async () => {
    const f = await setup();
    const r = await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app-linux-amd64.tar.gz', 'small')],
      now: new Date(),
    });
    const a = r.targets[0]!;
    await writeFile(
      join(f.store.location, 'targets', 'stable', '1.0.0', `${a.sha256}.${a.name}`),
      Buffer.alloc(8 * 1024 * 1024, 1),
    );
    const client = await instance(await served(f.store.location), join(f.store.location, 'metadata', '1.root.json'));
    const dest = join(f.base, 'dl.tar.gz');
    await assert.rejects(
      client.download(a, dest),
      (e: SlipwayError) => e.code === 'VERIFY_FAILED' && /more than the 5 bytes signed/.test(e.message),
    );
    assert.deepEqual(
      (await readdir(f.base)).filter((n) => n.startsWith('dl')),
      [],
    );
  });

  it('resumes an interrupted download with Range, and never reuses bytes that fail verification', async () => {
    const f = await setup();
    const { randomBytes } = await import('node:crypto');
    const body = randomBytes(3 * 1024 * 1024);
    const file = await f.artifact('app-linux-amd64.tar.gz', '');
    await writeFile(file, body);
    const r = await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [file],
      now: new Date(),
    });
    const a = r.targets[0]!;
    const lines: string[] = [];
    const { url, server } = await serveFeed({ dir: f.store.location, log: (l) => lines.push(l) });
    after(() => server.close());
    const dest = join(f.base, 'resumed.tar.gz');
    // What an earlier, interrupted attempt left: the first MiB.
    await writeFile(`${dest}.partial`, body.subarray(0, 1024 * 1024));
    let client = await instance(url, join(f.store.location, 'metadata', '1.root.json'));
    await client.download(a, dest);
    assert.deepEqual(await readFile(dest), body);
    assert.ok(
      lines.some((l) => l.includes(a.sha256) && l.endsWith(' 206')),
      lines.join('\n'),
    );
    // A partial that does not belong to this artifact: refused, thrown away, and the next try starts over.
    await rm(dest);
    await writeFile(`${dest}.partial`, Buffer.alloc(1024 * 1024, 7));
    client = await instance(url, join(f.store.location, 'metadata', '1.root.json'));
    await assert.rejects(client.download(a, dest), (e: SlipwayError) => e.code === 'VERIFY_FAILED');
    await assert.rejects(readFile(`${dest}.partial`), /ENOENT/);
    await client.download(a, dest);
    assert.deepEqual(await readFile(dest), body);
  });

  it('publishes its own channel order, so an instance on a channel named by the maintainer sees the more stable ones', async () => {
    const base = await tempDir();
    const created = await createKeys(
      ['root', 'targets', 'snapshot', 'timestamp', 'edge', 'candidate', 'stable'],
      'ed25519',
      { dir: join(base, 'keys'), env },
    );
    const by = Object.fromEntries(created.map((k) => [k.role, k]));
    const keys: FeedKeys = {
      root: by.root!,
      targets: by.targets!,
      snapshot: by.snapshot!,
      timestamp: by.timestamp!,
      channels: { edge: by.edge!, candidate: by.candidate!, stable: by.stable! },
    };
    const store = new LocalStore(join(base, 'feed'));
    await initFeed(store, keys, { now: new Date() });
    await writeFile(join(base, 'app.tgz'), 'x');
    await publishRelease(store, keys, {
      version: '1.1.0-rc.1',
      channel: 'candidate',
      files: [join(base, 'app.tgz')],
      now: new Date(),
    });
    const client = await instance(await served(store.location), join(store.location, 'metadata', '1.root.json'));
    const order = await client.channels();
    assert.deepEqual(order, ['edge', 'candidate', 'stable']);
    const seen = [];
    for (const c of visibleChannels(order, 'edge')) seen.push(await client.index(c));
    assert.equal(selectUpdate(seen, '1.0.0').target?.version, '1.1.0-rc.1');
  });

  it('a yanked release is never selected and stays in the index with its reason', async () => {
    const f = await setup();
    const now = new Date();
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '1')],
      now,
    });
    await publishRelease(f.store, f.keys, {
      version: '1.1.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '2')],
      now,
    });
    await yankRelease(f.store, f.keys, { version: '1.1.0', reason: 'corrupts uploads', now });
    await assert.rejects(
      yankRelease(f.store, f.keys, { version: '3.0.0', reason: 'x', now }),
      (e: SlipwayError) => e.code === 'NOT_PUBLISHED',
    );
    await assert.rejects(
      yankRelease(f.store, f.keys, { version: '1.0.0', reason: ' ', now }),
      (e: SlipwayError) => e.code === 'USAGE',
    );
    const client = await instance(await served(f.store.location), join(f.store.location, 'metadata', '1.root.json'));
    const idx = await client.index('stable');
    assert.equal(idx.releases.find((r) => r.version === '1.1.0')!.yanked!.reason, 'corrupts uploads');
    const sel = selectUpdate([idx], '0.9.0');
    assert.equal(sel.target?.version, '1.0.0');
    assert.deepEqual(
      sel.yanked.map((y) => y.version),
      ['1.1.0'],
    );
  });

  it('an interrupted publish leaves the feed valid, and the next publish completes over its leftovers', async () => {
    const f = await setup();
    const now = new Date();
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '1')],
      now,
    });
    // Crash between the snapshot and the timestamp: wrap the store so the timestamp write fails once.
    const real = f.store;
    let fail = true;
    const crashing: FeedStore = Object.assign(Object.create(real) as FeedStore, {
      write: async (path: string, data: string | Uint8Array) => {
        if (path === 'metadata/timestamp.json' && fail) {
          fail = false;
          throw new Error('power lost');
        }
        return real.write(path, data);
      },
    });
    await assert.rejects(
      publishRelease(crashing, f.keys, {
        version: '1.1.0',
        channel: 'stable',
        files: [await f.artifact('app.tgz', '2')],
        now,
      }),
      /power lost/,
    );
    const url = await served(real.location);
    let client = await instance(url, join(real.location, 'metadata', '1.root.json'));
    assert.deepEqual(
      (await client.index('stable')).releases.map((r) => r.version),
      ['1.0.0'],
      'readers still see the feed before the publish',
    );
    await publishRelease(real, f.keys, {
      version: '1.1.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '2')],
      now,
    });
    client = await instance(url, join(real.location, 'metadata', '1.root.json'));
    assert.deepEqual(
      (await client.index('stable')).releases.map((r) => r.version),
      ['1.1.0', '1.0.0'],
    );
  });

  it('refuses a folder written by something else, and publishing into it', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'metadata'));
    await writeFile(join(dir, 'metadata', 'timestamp.json'), '{"not": "tuf"}');
    const keys = await makeKeys(join(dir, 'keys'));
    await assert.rejects(
      initFeed(new LocalStore(dir), keys, { now: new Date() }),
      (e: SlipwayError) => e.code === 'FEED_FOREIGN',
    );
    await writeFile(join(dir, 'app.tgz'), 'x');
    await assert.rejects(
      publishRelease(new LocalStore(dir), keys, {
        version: '1.0.0',
        channel: 'stable',
        files: [join(dir, 'app.tgz')],
        now: new Date(),
      }),
      (e: SlipwayError) => e.code === 'FEED_INVALID' && /timestamp/.test(e.message),
    );
  });
});

describe('freshness and key rotation', () => {
  it('feed refresh signs a timestamp again; status shows expiry; tuf-js accepts the result', async () => {
    const f = await setup();
    const past = new Date(Date.now() - 2 * 86_400_000);
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '1')],
      now: past,
    });
    let st = await feedStatus(f.store, new Date());
    assert.equal(st.roles.find((r) => r.role === 'timestamp')!.state, 'expired');
    const r = await refreshFeed(
      f.store,
      { timestamp: f.keys.timestamp, snapshot: f.keys.snapshot },
      { now: new Date() },
    );
    assert.deepEqual(r.resigned, ['timestamp']);
    st = await feedStatus(f.store, new Date());
    assert.equal(st.roles.find((x) => x.role === 'timestamp')!.state, 'ok');
    const client = await instance(await served(f.store.location), join(f.store.location, 'metadata', '1.root.json'));
    assert.equal((await client.index('stable')).releases.length, 1);
    // A snapshot past half its life is signed again too, with a new timestamp over it.
    const r2 = await refreshFeed(
      f.store,
      { timestamp: f.keys.timestamp, snapshot: f.keys.snapshot, channels: f.keys.channels },
      { now: new Date(Date.now() + 10 * 86_400_000) },
    );
    assert.ok(r2.resigned.includes('snapshot'));
  });

  it('rotating the root, a top role and a channel key: an instance that trusts root v1 follows', async () => {
    const f = await setup();
    const now = new Date();
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app.tgz', '1')],
      now,
    });
    const url = await served(f.store.location);
    const root1 = join(f.base, 'root-v1.json');
    await copyFile(join(f.store.location, 'metadata', '1.root.json'), root1);
    const early = await instance(url, root1);
    await early.index('stable');

    const opts = { dir: f.keyDir, env, algorithm: 'ed25519' as const, now };
    const r1 = await rotateKey(f.store, { ...opts, role: 'root' });
    assert.equal(r1.rootVersion, 2);
    const r2 = await rotateKey(f.store, { ...opts, role: 'timestamp' });
    assert.equal(r2.rootVersion, 3);
    const r3 = await rotateKey(f.store, { ...opts, role: 'stable' });
    assert.notEqual(r3.oldKeyID, r3.newKeyID);
    const root2 = JSON.parse(await readFile(join(f.store.location, 'metadata', '2.root.json'), 'utf8')) as {
      signatures: unknown[];
    };
    assert.equal(root2.signatures.length, 2, 'N+1.root.json is signed by the old and the new root key');
    assert.ok((await readdir(f.keyDir)).some((n) => n.startsWith('root.retired-')));

    // Publishing afterwards loads the new keys from the key folder.
    const { loadKey } = await import('./keys.ts');
    const load = (role: string) => loadKey(role, { dir: f.keyDir, env });
    await publishRelease(
      f.store,
      {
        snapshot: await load('snapshot'),
        timestamp: await load('timestamp'),
        channels: { stable: await load('stable') },
      },
      { version: '1.1.0', channel: 'stable', files: [await f.artifact('app.tgz', '2')], now },
    );
    const late = await instance(url, root1);
    assert.deepEqual(
      (await late.index('stable')).releases.map((r) => r.version),
      ['1.1.0', '1.0.0'],
    );
    // The old stable key no longer signs for stable.
    const session = await FeedSession.open(f.store);
    const forged = await session.role('stable');
    for (const k of Object.keys(forged.signed.targets)) delete forged.signed.targets[k];
    await session.touch('stable');
    await session.commit(
      {
        snapshot: await load('snapshot'),
        timestamp: await load('timestamp'),
        channels: { stable: f.keys.channels.stable! },
      },
      now,
    );
    const third = await instance(url, root1);
    await assert.rejects(third.index('stable'), (e: SlipwayError) => e.code === 'VERIFY_FAILED');
  });
});

describe('slipway feed serve', () => {
  it('ETag and 304, cache headers, Range, HEAD, gzip for JSON, no way out of the folder', async () => {
    const f = await setup();
    await publishRelease(f.store, f.keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await f.artifact('app-linux-amd64.tar.gz', '0123456789'.repeat(100))],
      now: new Date(),
    });
    const url = await served(f.store.location);
    // node:http rather than fetch: fetch sends Cache-Control: no-cache, which rightly rules out a 304.
    const { request } = await import('node:http');
    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
        (resolve, reject) => {
          request(`${url}${path}`, { method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          })
            .on('error', reject)
            .end();
        },
      );
    let r = await get('/metadata/timestamp.json');
    assert.equal(r.status, 200);
    const etag = r.headers.etag as string;
    assert.ok(etag);
    assert.equal(r.headers['cache-control'], 'public, max-age=60, must-revalidate');
    r = await get('/metadata/timestamp.json', { 'if-none-match': etag });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);

    const blob = (await readdir(join(f.store.location, 'targets', 'stable', '1.0.0'))).find((n) =>
      n.endsWith('app-linux-amd64.tar.gz'),
    )!;
    r = await get(`/targets/stable/1.0.0/${blob}`, { range: 'bytes=10-19' });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), '0123456789');
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    r = await get(`/targets/stable/1.0.0/${blob}`, {}, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '1000');
    assert.equal(r.body.length, 0);

    r = await get('/metadata/1.snapshot.json', { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual(
      JSON.parse(gunzipSync(r.body).toString()),
      JSON.parse(await readFile(join(f.store.location, 'metadata', '1.snapshot.json'), 'utf8')),
    );

    for (const path of ['/../keys/root.pem', '/%2e%2e/keys/root.pem', '/metadata/..%2f..%2fkeys%2froot.pem']) {
      const res = await fetch(`${url}${path}`);
      assert.ok(res.status === 403 || res.status === 404, `${path}: ${res.status}`);
      assert.ok(!(await res.text()).includes('PRIVATE KEY'));
    }
  });
});

describe('an S3 feed (s3rver on 127.0.0.1)', () => {
  it('publishes to a bucket that tuf-js reads, and refuses a changed artifact', async () => {
    const s3 = await startS3(await tempDir('slipway-s3-'), ['feed-bucket']);
    after(() => s3.close());
    const { port } = s3;
    const { S3Store } = await import('./s3-store.ts');
    const e = s3.env;
    const saved = { ...process.env };
    Object.assign(process.env, e);
    after(() => {
      for (const k of Object.keys(e)) if (saved[k] === undefined) delete process.env[k];
    });
    const f = await setup(() => Promise.resolve(S3Store.fromUrl('s3://feed-bucket/updates', process.env)));
    const big = await f.artifact('app-linux-amd64.tar.gz', 'x'.repeat(6 * 1024 * 1024));
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [big], now: new Date() });
    const base = `http://127.0.0.1:${port}/feed-bucket/updates`;
    const rootFile = join(f.base, 'root.json');
    await writeFile(rootFile, (await f.store.read('metadata/1.root.json'))!);
    const client = await instance(base, rootFile);
    const idx = await client.index('stable');
    const m = await client.manifest(idx.releases[0]!.manifest);
    const dest = join(f.base, 'dl');
    await client.download(m.artifacts['linux/amd64']!, dest);
    assert.equal((await readFile(dest)).length, 6 * 1024 * 1024);
    assert.deepEqual(
      (await feedStatus(f.store, new Date())).channels.find((c) => c.channel === 'stable')!.newest,
      '1.0.0',
    );
    // The human view goes to the bucket too.
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeReleaseView } = await import('../release/release-view.ts');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: env.SLIPWAY_KEY_PASSPHRASE,
      })
      .toString();
    await writeReleaseView({
      feedDir: f.store,
      version: '1.0.0',
      files: [
        {
          name: m.artifacts['linux/amd64']!.name,
          sha256: m.artifacts['linux/amd64']!.sha256,
          path: m.artifacts['linux/amd64']!.path,
        },
      ],
      notes: null,
      signingKeyPem: pem,
      passphrase: env.SLIPWAY_KEY_PASSPHRASE,
    });
    const sums = await fetch(`${base}/releases/1.0.0/SHA256SUMS`);
    assert.equal(await sums.text(), `${m.artifacts['linux/amd64']!.sha256}  app-linux-amd64.tar.gz\n`);
    assert.equal((await fetch(`${base}/cosign.pub`)).status, 200);
    // The artifact under its own name beside SHA256SUMS: a server-side copy in the bucket.
    const own = await fetch(`${base}/releases/1.0.0/app-linux-amd64.tar.gz`);
    assert.equal(Buffer.from(await own.arrayBuffer()).length, 6 * 1024 * 1024);
    assert.equal((await fetch(`${base}/releases/1.0.0/cosign.pub`)).status, 200);

    // Tamper with the stored object: the instance refuses it and writes nothing.
    const key = (await f.store.list('targets/stable')).find((k) => k.endsWith('app-linux-amd64.tar.gz'))!;
    await f.store.write(key, 'y'.repeat(6 * 1024 * 1024));
    await rm(dest, { force: true });
    const fresh = await instance(base, rootFile);
    await assert.rejects(
      fresh.download(m.artifacts['linux/amd64']!, dest),
      (err: SlipwayError) => err.code === 'VERIFY_FAILED',
    );
    await assert.rejects(readFile(dest), /ENOENT/);
  });
});
