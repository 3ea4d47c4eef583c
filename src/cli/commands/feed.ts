import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { defaultConfig } from '../../core/config/parse.ts';
import { loadConfig } from '../../project/config-file.ts';
import { openRepository } from '../../git/repo.ts';
import { createKeys, loadKey, type KeyAlgorithm, type SigningKey } from '../../feed/keys.ts';
import { initFeed, publishRelease, type FeedKeys } from '../../feed/repository.ts';
import { writeReleaseView } from '../../feed/release-view.ts';
import { createOutput } from '../output.ts';

interface FeedFlags {
  keys?: string;
  feed?: string;
  algorithm?: string;
  channel?: string;
  notes?: string;
  dryRun?: boolean;
  json?: boolean;
  cwd?: string;
}

const TOP_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
const RELEASE_KEY = 'release';

/** The channels from slipway.json when run in a repository, the defaults otherwise. */
async function channels(flags: FeedFlags): Promise<string[]> {
  try {
    const repo = await openRepository(resolve(flags.cwd ?? process.cwd()));
    return (await loadConfig(repo.root)).config.channels;
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_A_REPOSITORY') return defaultConfig().channels;
    throw error;
  }
}

const keyDir = (flags: FeedFlags): string => resolve(flags.keys ?? 'keys');
const feedDir = (flags: FeedFlags): string => resolve(flags.feed ?? 'feed');

/** slipway keys init: a key per TUF role and per channel, and the ECDSA P-256 release signing key. */
export async function keysInit(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const algorithm = (flags.algorithm ?? 'ed25519') as KeyAlgorithm;
  if (algorithm !== 'ed25519' && algorithm !== 'ecdsa') throw new SlipwayError('USAGE', `--algorithm expects ed25519 or ecdsa, got "${flags.algorithm}"`);
  const roles = [...TOP_ROLES, ...(await channels(flags))];
  if (flags.dryRun) {
    out.result(`would create ${roles.length + 1} keys in ${keyDir(flags)}: ${[...roles, RELEASE_KEY].join(', ')}`, { dir: keyDir(flags), roles: [...roles, RELEASE_KEY], dryRun: true });
    return 0;
  }
  const created = [...(await createKeys(roles, algorithm, { dir: keyDir(flags) })), ...(await createKeys([RELEASE_KEY], 'ecdsa', { dir: keyDir(flags) }))];
  out.result(
    [`created ${created.length} keys in ${keyDir(flags)} (private keys encrypted with $SLIPWAY_KEY_PASSPHRASE):`, ...created.map((k) => `  ${k.role.padEnd(10)} ${k.key.keyID}`), 'Keep root.pem and targets.pem offline; CI needs only snapshot, timestamp, release and the channel keys.'].join('\n'),
    { dir: keyDir(flags), keys: created.map((k) => ({ role: k.role, keyID: k.key.keyID })) },
  );
  return 0;
}

/** slipway feed init: the first signed metadata of a new feed. */
export async function feedInit(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const opts = { dir: keyDir(flags) };
  const load = (role: string): Promise<SigningKey> => loadKey(role, opts);
  const keys: FeedKeys = { root: await load('root'), targets: await load('targets'), snapshot: await load('snapshot'), timestamp: await load('timestamp'), channels: {} };
  for (const c of await channels(flags)) keys.channels[c] = await load(c);
  if (flags.dryRun) {
    out.result(`would create a feed in ${feedDir(flags)} with channels ${Object.keys(keys.channels).join(', ')}`, { dir: feedDir(flags), dryRun: true });
    return 0;
  }
  await initFeed(feedDir(flags), keys, { now: new Date() });
  out.result(`created a feed in ${feedDir(flags)}; instances trust ${feedDir(flags)}/metadata/1.root.json`, { dir: feedDir(flags), channels: Object.keys(keys.channels) });
  return 0;
}

/** slipway publish <version> --channel <channel> <files...> */
export async function publish(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const [version, ...files] = args;
  if (flags.channel === undefined) throw new SlipwayError('USAGE', 'pass --channel <channel> (nightly, beta, stable…)');
  if (files.length === 0) throw new SlipwayError('USAGE', 'name the artifacts to publish, e.g. dist/app-linux-amd64.tar.gz');
  const opts = { dir: keyDir(flags) };
  const keys = { snapshot: await loadKey('snapshot', opts), timestamp: await loadKey('timestamp', opts), channels: { [flags.channel]: await loadKey(flags.channel, opts) } };
  if (flags.dryRun) {
    out.result(`would publish ${version} on ${flags.channel}: ${files.join(', ')}`, { version, channel: flags.channel, files, dryRun: true });
    return 0;
  }
  const r = await publishRelease(feedDir(flags), keys, { version: version!, channel: flags.channel, files: files.map((f) => resolve(f)), now: new Date() });
  const notes = flags.notes === undefined ? null : await readFile(resolve(flags.notes), 'utf8');
  const releasePem = await readFile(resolve(keyDir(flags), `${RELEASE_KEY}.pem`), 'utf8').catch(() => null);
  let view: string | null = null;
  if (releasePem !== null) {
    view = (await writeReleaseView({ feedDir: feedDir(flags), version: version!, files: r.targets.map((t) => ({ name: t.path.split('/').pop()!, sha256: t.sha256 })), notes, signingKeyPem: releasePem, passphrase: process.env.SLIPWAY_KEY_PASSPHRASE ?? '' })).dir;
  }
  out.result(
    [`${r.changed ? 'published' : 'already published (same bytes)'} ${version} on ${flags.channel}:`, ...r.targets.map((t) => `  ${t.path}  sha256 ${t.sha256}  ${t.length} bytes`), ...(view ? [`SHA256SUMS, SHA256SUMS.sig${notes === null ? '' : ', notes.md'} in ${view}`] : [])].join('\n'),
    { version, channel: flags.channel, changed: r.changed, targets: r.targets, releaseView: view },
  );
  return 0;
}
