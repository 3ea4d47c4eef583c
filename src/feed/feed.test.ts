import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { after, describe, it } from 'node:test';
import { TargetFile } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { SlipwayError } from '../core/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { createKeys, loadKey } from './keys.ts';
import { FeedSession } from './session.ts';
import { initFeed } from './init.ts';
import { publishRelease as publishChecked } from '../release/publish-release.ts';

// These tests are about TUF and the bytes of the feed: their artifacts are plain bytes, not
// archives, so they publish without the artifact checks (test/feed-cli.test.ts covers those).
const publishRelease: typeof publishChecked = (store, keys, options) =>
  publishChecked(store, keys, { ...options, unchecked: true });
import { type FeedKeys } from './metadata.ts';
import { LocalStore } from './store.ts';

const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };
const now = new Date();

/** A plain static file server for the feed folder, on 127.0.0.1 and an ephemeral port. */
async function serve(dir: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    readFile(join(dir, path)).then(
      (data) => res.end(data),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

async function feed(): Promise<{ dir: string; store: LocalStore; keys: FeedKeys; url: string; artifact: string }> {
  const base = await tempDir();
  const keyDir = join(base, 'keys');
  const created = await createKeys(
    ['root', 'targets', 'snapshot', 'timestamp', 'nightly', 'beta', 'stable'],
    'ed25519',
    { dir: keyDir, env },
  );
  const by = Object.fromEntries(created.map((k) => [k.role, k]));
  const keys: FeedKeys = {
    root: by.root!,
    targets: by.targets!,
    snapshot: by.snapshot!,
    timestamp: by.timestamp!,
    channels: { nightly: by.nightly!, beta: by.beta!, stable: by.stable! },
  };
  const dir = join(base, 'feed');
  const store = new LocalStore(dir);
  await initFeed(store, keys, { now });
  const artifact = join(base, 'app-linux-amd64.tar.gz');
  await writeFile(artifact, Buffer.from('release 1.0.0 bytes'.repeat(1000)));
  return { dir, store, keys, url: await serve(dir), artifact };
}

/** An instance: trusted root.json in its metadata folder, an empty download folder. */
async function client(f: { dir: string; url: string }): Promise<{ updater: Updater; targetDir: string }> {
  const base = await tempDir();
  const metadataDir = join(base, 'metadata');
  const targetDir = join(base, 'downloads');
  await mkdir(metadataDir);
  await mkdir(targetDir);
  await copyFile(join(f.dir, 'metadata', '1.root.json'), join(metadataDir, 'root.json'));
  return {
    updater: new Updater({
      metadataDir,
      metadataBaseUrl: `${f.url}/metadata`,
      targetDir,
      targetBaseUrl: `${f.url}/targets`,
    }),
    targetDir,
  };
}

describe('the feed, read by a real TUF client (tuf-js)', () => {
  it('serves a published release that tuf-js verifies and downloads', async () => {
    const f = await feed();
    const r = await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    assert.equal(r.changed, true);
    const { updater, targetDir } = await client(f);
    await updater.refresh();
    const info = await updater.getTargetInfo('stable/1.0.0/app-linux-amd64.tar.gz');
    assert.ok(info, 'the target is found through the stable role');
    const path = await updater.downloadTarget(info, join(targetDir, 'app.tar.gz'));
    assert.deepEqual(await readFile(path), await readFile(f.artifact));
  });

  it('refuses a changed artifact byte and writes nothing to the download folder', async () => {
    const f = await feed();
    const r = await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    const stored = join(f.dir, 'targets', 'stable', '1.0.0', `${r.targets[0]!.sha256}.app-linux-amd64.tar.gz`);
    const bytes = await readFile(stored);
    bytes[100] = bytes[100]! ^ 1;
    await writeFile(stored, bytes);
    const { updater, targetDir } = await client(f);
    await updater.refresh();
    const info = await updater.getTargetInfo('stable/1.0.0/app-linux-amd64.tar.gz');
    await assert.rejects(updater.downloadTarget(info!, join(targetDir, 'app.tar.gz')));
    assert.deepEqual(await readdir(targetDir), []);
  });

  it('refuses a changed metadata byte', async () => {
    const f = await feed();
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    // The bin of the stable role that lists the artifact.
    const names = (await readdir(join(f.dir, 'metadata'))).filter((n) => /^2\.stable\.bin-[0-9a-f]{2}\.json$/.test(n));
    let path = '';
    for (const n of names)
      if ((await readFile(join(f.dir, 'metadata', n), 'utf8')).includes('app-linux-amd64.tar.gz'))
        path = join(f.dir, 'metadata', n);
    assert.ok(path, 'a bin lists the artifact');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"length": 19000', '"length": 19001'));
    const { updater } = await client(f);
    await assert.rejects(updater.refresh().then(() => updater.getTargetInfo('stable/1.0.0/app-linux-amd64.tar.gz')));
  });

  it('does not let the nightly key put a release on stable', async () => {
    const f = await feed();
    await publishRelease(f.store, f.keys, { version: '1.0.1-nightly.1', channel: 'nightly', files: [f.artifact], now });
    // With only the nightly key and the online snapshot/timestamp keys, sign a stable path into the nightly role.
    const session = await FeedSession.open(f.store);
    const nightly = await session.role('nightly');
    const real = (await session.target('nightly', 'nightly/1.0.1-nightly.1/app-linux-amd64.tar.gz'))!;
    nightly.signed.addTarget(
      new TargetFile({ path: 'stable/9.9.9/app-linux-amd64.tar.gz', length: real.length, hashes: { ...real.hashes } }),
    );
    await session.touch('nightly');
    await session.commit(
      { snapshot: f.keys.snapshot, timestamp: f.keys.timestamp, channels: { nightly: f.keys.channels.nightly! } },
      now,
    );
    const { updater } = await client(f);
    await updater.refresh();
    assert.ok(
      await updater.getTargetInfo('nightly/1.0.1-nightly.1/app-linux-amd64.tar.gz'),
      'the nightly role itself is trusted for nightly paths',
    );
    assert.equal(await updater.getTargetInfo('stable/9.9.9/app-linux-amd64.tar.gz'), undefined);
  });

  it('publishes the same bytes twice as a no-op and refuses other bytes for a published version', async () => {
    const f = await feed();
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    assert.equal(
      (await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now }))
        .changed,
      false,
    );
    await writeFile(f.artifact, 'other bytes');
    await assert.rejects(
      publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now }),
      (e: SlipwayError) => e.code === 'PUBLISH_CONFLICT',
    );
  });

  it('refuses bad input clearly', async () => {
    const f = await feed();
    await assert.rejects(
      publishRelease(f.store, f.keys, { version: 'one', channel: 'stable', files: [f.artifact], now }),
      (e: SlipwayError) => e.code === 'INVALID_VERSION',
    );
    await assert.rejects(
      publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'edge', files: [f.artifact], now }),
      (e: SlipwayError) => e.code === 'UNKNOWN_CHANNEL',
    );
    await assert.rejects(
      publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: ['/nope/app.tgz'], now }),
      (e: SlipwayError) => e.code === 'ARTIFACT_MISSING',
    );
    await assert.rejects(
      publishRelease(new LocalStore(await tempDir()), f.keys, {
        version: '1.0.0',
        channel: 'stable',
        files: [f.artifact],
        now,
      }),
      (e: SlipwayError) => e.code === 'FEED_NOT_FOUND',
    );
  });
});

describe('attacks a TUF client refuses', () => {
  it('an expired timestamp (indefinite freeze)', async () => {
    const f = await feed();
    const longAgo = new Date(Date.now() - 3 * 86_400_000);
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now: longAgo });
    const { updater } = await client(f);
    await assert.rejects(updater.refresh(), /timestamp.json is expired/);
  });

  it('an older timestamp than one already seen (rollback)', async () => {
    const f = await feed();
    const old = await readFile(join(f.dir, 'metadata', 'timestamp.json'));
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    const { updater } = await client(f);
    await updater.refresh();
    await writeFile(join(f.dir, 'metadata', 'timestamp.json'), old);
    const again = new Updater({
      metadataDir: (updater as unknown as { dir: string }).dir,
      metadataBaseUrl: `${f.url}/metadata`,
      targetBaseUrl: `${f.url}/targets`,
    });
    await assert.rejects(again.refresh(), /New timestamp version 1 is less than current version 2/);
  });

  it('a snapshot from another publish (mix-and-match)', async () => {
    const f = await feed();
    await publishRelease(f.store, f.keys, { version: '1.0.0', channel: 'stable', files: [f.artifact], now });
    // The timestamp names snapshot 2; serve snapshot 1's bytes under that name.
    await copyFile(join(f.dir, 'metadata', '1.snapshot.json'), join(f.dir, 'metadata', '2.snapshot.json'));
    const { updater } = await client(f);
    await assert.rejects(updater.refresh(), /Snapshot version doesn't match timestamp/);
  });

  it('metadata larger than the client accepts (endless data)', async () => {
    const f = await feed();
    const path = join(f.dir, 'metadata', 'timestamp.json');
    await writeFile(path, `${(await readFile(path, 'utf8')).trimEnd()}${' '.repeat(64 * 1024)}\n`);
    const { updater } = await client(f);
    await assert.rejects(updater.refresh(), /Max length reached/);
  });
});

describe('signing keys', () => {
  it('are encrypted with the passphrase; a wrong one or a missing key is reported', async () => {
    const dir = await tempDir();
    const [k] = await createKeys(['root'], 'ecdsa', { dir, env });
    assert.match(await readFile(join(dir, 'root.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.equal((await loadKey('root', { dir, env })).key.keyID, k!.key.keyID);
    await assert.rejects(
      loadKey('root', { dir, env: { SLIPWAY_KEY_PASSPHRASE: 'wrong passphrase' } }),
      (e: SlipwayError) => e.code === 'KEY_PASSPHRASE_WRONG' && !e.message.includes('wrong passphrase"'),
    );
    await assert.rejects(loadKey('targets', { dir, env }), (e: SlipwayError) => e.code === 'KEY_MISSING');
    await assert.rejects(createKeys(['root'], 'ed25519', { dir, env }), (e: SlipwayError) => e.code === 'KEY_EXISTS');
    await assert.rejects(
      createKeys(['x'], 'ed25519', { dir, env: {} }),
      (e: SlipwayError) => e.code === 'KEY_PASSPHRASE',
    );
  });
});

describe('the human view of a release', () => {
  it('writes SHA256SUMS and a signature that openssl (as cosign verify-blob --key) accepts', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeReleaseView } = await import('../release/release-view.ts');
    const dir = await tempDir();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: env.SLIPWAY_KEY_PASSPHRASE })
      .toString();
    const files = [
      { name: 'app-linux-arm64.tar.gz', sha256: 'b'.repeat(64) },
      { name: 'app-linux-amd64.tar.gz', sha256: 'a'.repeat(64) },
    ];
    const { dir: out } = await writeReleaseView({
      feedDir: dir,
      version: '1.0.0',
      files,
      notes: '# v1.0.0\n',
      signingKeyPem: pem,
      passphrase: env.SLIPWAY_KEY_PASSPHRASE,
    });
    assert.equal(
      await readFile(join(out, 'SHA256SUMS'), 'utf8'),
      `${'a'.repeat(64)}  app-linux-amd64.tar.gz\n${'b'.repeat(64)}  app-linux-arm64.tar.gz\n`,
    );
    await writeFile(
      join(dir, 'sig.der'),
      Buffer.from((await readFile(join(out, 'SHA256SUMS.sig'), 'utf8')).trim(), 'base64'),
    );
    const ok = execFileSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-verify',
        join(dir, 'cosign.pub'),
        '-signature',
        join(dir, 'sig.der'),
        join(out, 'SHA256SUMS'),
      ],
      { encoding: 'utf8' },
    );
    assert.match(ok, /Verified OK/);
    await writeFile(join(out, 'SHA256SUMS'), 'tampered\n');
    const bad = spawnSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-verify',
        join(dir, 'cosign.pub'),
        '-signature',
        join(dir, 'sig.der'),
        join(out, 'SHA256SUMS'),
      ],
      { encoding: 'utf8' },
    );
    assert.notEqual(bad.status, 0);
    assert.equal(await readFile(join(out, 'notes.md'), 'utf8'), '# v1.0.0\n');
  });
});
