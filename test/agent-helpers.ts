import { join } from 'node:path';
import type { OsvAdvisory } from '../src/core/advisory/osv.ts';
import { after } from 'node:test';
import { createSampleFeed, SAMPLE_PASSPHRASE_ENV, type SampleFeed } from '../src/testing/sample-feed.ts';
import { stopStray } from '../src/agent/app-process.ts';
import { install } from '../src/agent/install.ts';
import { Layout } from '../src/agent/layout.ts';
import { tempDir } from './helpers.ts';

import { freePort } from '../src/io/free-port.ts';

export { freePort };

export const passphraseEnv = SAMPLE_PASSPHRASE_ENV;

/** A signed feed served over HTTP on 127.0.0.1, and a way to release the sample app to it (removed at the end). */
export async function sampleFeed(): Promise<SampleFeed> {
  const feed = await createSampleFeed();
  after(() => feed.dispose());
  return feed;
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

/** The feed's newest stable release installed into a fresh root, the app on a free port. */
export async function installFrom(feed: SampleFeed): Promise<{ root: string; port: number }> {
  const root = await installRoot();
  const port = await freePort();
  await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port });
  return { root, port };
}

/** A feed with the sample app's 1.0.0 on stable, installed into a fresh root with the app on a free port. */
export async function installedSample() {
  const feed = await sampleFeed();
  await feed.release({ version: '1.0.0', schema: 1 });
  return { feed, ...(await installFrom(feed)) };
}

/** A public OSV advisory against the sample app: affected from `introduced` (default 0) until `fixed`. */
export function sampleAdvisory(a: {
  id: string;
  summary: string;
  severity: OsvAdvisory['database_specific']['severity'];
  fixed: string;
  introduced?: string;
  aliases?: string[];
}): OsvAdvisory {
  return {
    schema_version: '1.6.0',
    id: a.id,
    modified: '2026-12-01T00:00:00Z',
    published: '2026-12-01T00:00:00Z',
    ...(a.aliases ? { aliases: a.aliases } : {}),
    summary: a.summary,
    details: 'x',
    affected: [
      {
        package: { ecosystem: 'npm', name: 'sample' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: a.introduced ?? '0' }, { fixed: a.fixed }] }],
      },
    ],
    database_specific: { severity: a.severity, disclosed: '2026-12-01T00:00:00Z' },
  };
}
