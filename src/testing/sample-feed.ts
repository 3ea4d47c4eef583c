import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeedKeys } from '../feed/feed-keys.ts';
import { initFeed } from '../feed/init.ts';
import type { FeedKeys } from '../feed/metadata.ts';
import { serveFeed } from '../feed/serve.ts';
import { LocalStore } from '../feed/store.ts';
import { publishRelease, type PublishResult, type ReleaseInfo } from '../release/publish-release.ts';
import { buildSampleRelease, type SampleBuild } from './sample-app.ts';

/** The passphrase the sample feed's keys are encrypted with. */
export const SAMPLE_PASSPHRASE_ENV = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };

export interface SampleFeed {
  base: string;
  /** The feed folder. */
  dir: string;
  store: LocalStore;
  keys: FeedKeys;
  /** Where it is served on 127.0.0.1. */
  url: string;
  /** A copy of metadata/1.root.json, for `install --trusted-root`. */
  rootFile: string;
  /** Builds the sample app at a version and publishes it (stable unless told). */
  release(
    build: Omit<SampleBuild, 'out'>,
    info?: ReleaseInfo & { channel?: string; unchecked?: boolean },
  ): Promise<PublishResult>;
  /** Stops the server and removes the folder. */
  dispose(): Promise<void>;
}

/** A signed feed (nightly, beta, stable) in a temp folder, served over HTTP on 127.0.0.1. */
export async function createSampleFeed(options: { keep?: boolean } = {}): Promise<SampleFeed> {
  const base = await mkdtemp(join(tmpdir(), 'slipway-feed-'));
  const keyDir = join(base, 'keys');
  const keys = await createFeedKeys(['nightly', 'beta', 'stable'], { dir: keyDir, env: SAMPLE_PASSPHRASE_ENV });
  const dir = join(base, 'feed');
  const store = new LocalStore(dir);
  await initFeed(store, keys, { now: new Date() });
  const { url, server } = await serveFeed({ dir });
  const rootFile = join(base, 'root.json');
  await writeFile(rootFile, (await store.read('metadata/1.root.json'))!);
  const release: SampleFeed['release'] = async (build, info = {}) => {
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
  const dispose = async (): Promise<void> => {
    await server.close();
    if (!options.keep) await rm(base, { recursive: true, force: true });
  };
  return { base, dir, store, keys, url, rootFile, release, dispose };
}
