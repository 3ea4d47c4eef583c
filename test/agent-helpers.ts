import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import { buildSampleRelease, type SampleBuild } from '../src/testing/sample-app.ts';
import { createKeys } from '../src/feed/keys.ts';
import { initFeed } from '../src/feed/init.ts';
import { publishRelease, type ReleaseInfo } from '../src/release/publish-release.ts';
import { type FeedKeys } from '../src/feed/metadata.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { LocalStore } from '../src/feed/store.ts';
import { stopStray } from '../src/agent/app-process.ts';
import { install } from '../src/agent/install.ts';
import { Layout } from '../src/agent/layout.ts';
import { tempDir } from './helpers.ts';

import { freePort } from '../src/io/free-port.ts';

export { freePort };

export const passphraseEnv = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };

/** A signed feed served over HTTP on 127.0.0.1, and a way to release the sample app to it. */
export async function sampleFeed() {
  const base = await tempDir('slipway-feed-');
  const keyDir = join(base, 'keys');
  const created = await createKeys(
    ['root', 'targets', 'snapshot', 'timestamp', 'nightly', 'beta', 'stable'],
    'ed25519',
    { dir: keyDir, env: passphraseEnv },
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
  await initFeed(store, keys, { now: new Date() });
  const { url, server } = await serveFeed({ dir });
  after(() => server.close());
  const rootFile = join(base, 'root.json');
  await writeFile(rootFile, (await store.read('metadata/1.root.json'))!);
  const release = async (build: Omit<SampleBuild, 'out'>, info: ReleaseInfo & { channel?: string } = {}) => {
    const out = join(base, 'build', build.version);
    await mkdir(out, { recursive: true });
    const file = await buildSampleRelease({ ...build, out: join(out, 'app-any.tar.gz') });
    return publishRelease(store, keys, {
      version: build.version,
      channel: info.channel ?? 'stable',
      files: [file],
      now: new Date(),
      ...info,
    });
  };
  return { base, dir, store, keys, url, rootFile, release };
}

const beforeCleanup = new Map<string, (() => Promise<void>)[]>();

/** Runs `fn` (e.g. stopping an agent) at the end, before the install root's app is stopped and its folder removed. */
export function stopFirst(root: string, fn: () => Promise<void>): void {
  beforeCleanup.get(root)?.push(fn);
}

/** An install root removed at the end, with any agent and app process it left running stopped. */
export async function installRoot(): Promise<string> {
  let root = '';
  // Registered before the temp folder's own clean-up, so it runs first (after hooks run in order).
  after(async () => {
    if (!root) return;
    for (const fn of beforeCleanup.get(root) ?? []) await fn();
    await stopStray(new Layout(root).appPid, 1000);
  });
  root = join(await tempDir('slipway-root-'), 'instance');
  beforeCleanup.set(root, []);
  return root;
}

/** A feed with the sample app's 1.0.0 on stable, installed into a fresh root with the app on a free port. */
export async function installedSample() {
  const feed = await sampleFeed();
  await feed.release({ version: '1.0.0', schema: 1 });
  const root = await installRoot();
  const port = await freePort();
  await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port });
  return { feed, root, port };
}
