// Shared by the feed and agent benchmarks: keys, a feed, and a big artifact, cached in bench/.work.
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { once } from 'node:events';
import { initFeed } from '../../src/feed/init.ts';
import { type FeedKeys } from '../../src/feed/metadata.ts';
import { LocalStore } from '../../src/feed/store.ts';
import { createFeedKeys } from '../../src/feed/feed-keys.ts';

export const WORK = join(import.meta.dirname, '..', '.work');
export const env = { SLIPWAY_KEY_PASSPHRASE: 'benchmark passphrase' };

/** A file of random bytes (random, so nothing along the way can compress it), made once. */
export async function bigFile(mib: number): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  const path = join(WORK, `artifact-${mib}m-linux-amd64.tar.gz`);
  if (existsSync(path) && statSync(path).size === mib * 1048576) return path;
  const out = createWriteStream(path);
  const chunk = randomBytes(1048576);
  for (let i = 0; i < mib; i++) {
    chunk.writeUInt32LE(i, 0);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

export async function newFeed(dir: string): Promise<{ store: LocalStore; keys: FeedKeys; keyDir: string }> {
  const keyDir = join(dir, 'keys');
  const keys = await createFeedKeys(['nightly', 'beta', 'stable'], { dir: keyDir, env });
  const store = new LocalStore(join(dir, 'feed'));
  await initFeed(store, keys, { now: new Date() });
  return { store, keys, keyDir };
}

export const median = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Prints table lines as they come and keeps them for the results file. */
export function reporter(): { say: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  return { say, lines };
}
