import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Metadata, MetadataKind, TargetFile, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../project/atomic-write.ts';
import type { SigningKey } from './keys.ts';

const SPEC = '1.0.31';
const DAY = 86_400_000;

export interface FeedKeys {
  root: SigningKey;
  targets: SigningKey;
  snapshot: SigningKey;
  timestamp: SigningKey;
  /** One delegated targets role per channel, so a leaked nightly key cannot sign a stable release. */
  channels: Record<string, SigningKey>;
}

export interface ExpiryDays {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
}

export const DEFAULT_EXPIRY: ExpiryDays = { root: 365, targets: 90, snapshot: 14, timestamp: 1 };

function expires(now: Date, days: number): string {
  return `${new Date(now.getTime() + days * DAY).toISOString().slice(0, 19)}Z`;
}

const metadataDir = (dir: string): string => join(dir, 'metadata');

type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;
type Json = Record<string, unknown>;

/** Builds signed metadata from its spec-shaped JSON (validated by @tufjs/models) and signs it. */
function signed(kind: MetadataKind, body: Json, key: SigningKey): AnyMetadata {
  const md = Metadata.fromJSON(kind as MetadataKind.Targets, { signed: { _type: kind, spec_version: SPEC, ...body }, signatures: [] }) as AnyMetadata;
  md.sign((d) => key.sign(d));
  return md;
}

async function writeMetadata(dir: string, name: string, md: AnyMetadata): Promise<void> {
  await mkdir(metadataDir(dir), { recursive: true });
  await writeFileAtomic(join(metadataDir(dir), name), `${JSON.stringify(md.toJSON(), null, 1)}\n`);
}

async function readMetadata<T extends Root | Targets | Snapshot | Timestamp>(dir: string, name: string, kind: MetadataKind): Promise<Metadata<T>> {
  const path = join(metadataDir(dir), name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SlipwayError('FEED_NOT_FOUND', `${path} is missing: ${dir} is not a Slipway feed (create one with slipway feed init)`, { cause: error });
  }
  try {
    return Metadata.fromJSON(kind as MetadataKind.Targets, JSON.parse(text) as never) as unknown as Metadata<T>;
  } catch (error) {
    throw new SlipwayError('FEED_INVALID', `${path} is not TUF ${kind} metadata Slipway can read: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates a new feed: root (version 1), targets delegating to one role per channel, snapshot, timestamp. */
export async function initFeed(dir: string, keys: FeedKeys, options: { now: Date; expiry?: ExpiryDays }): Promise<void> {
  if (await exists(join(metadataDir(dir), 'root.json'))) throw new SlipwayError('FEED_EXISTS', `${dir} holds a feed already`);
  const e = options.expiry ?? DEFAULT_EXPIRY;
  const now = options.now;
  const top = [keys.root, keys.targets, keys.snapshot, keys.timestamp];
  const rootMd = signed(
    MetadataKind.Root,
    {
      version: 1,
      expires: expires(now, e.root),
      consistent_snapshot: true,
      keys: Object.fromEntries(top.map((k) => [k.key.keyID, k.key.toJSON()])),
      roles: Object.fromEntries(top.map((k) => [k.role, { keyids: [k.key.keyID], threshold: 1 }])),
    },
    keys.root,
  );
  const channels = Object.entries(keys.channels);
  const targetsMd = signed(
    MetadataKind.Targets,
    {
      version: 1,
      expires: expires(now, e.targets),
      targets: {},
      delegations: {
        keys: Object.fromEntries(channels.map(([, k]) => [k.key.keyID, k.key.toJSON()])),
        // Targets are <channel>/<version>/<file>; TUF matches path patterns segment by segment.
        roles: channels.map(([channel, k]) => ({ name: channel, keyids: [k.key.keyID], threshold: 1, terminating: true, paths: [`${channel}/*/*`] })),
      },
    },
    keys.targets,
  );
  const meta: Json = { 'targets.json': { version: 1 } };
  for (const [channel, k] of channels) {
    await writeMetadata(dir, `1.${channel}.json`, signed(MetadataKind.Targets, { version: 1, expires: expires(now, e.targets), targets: {} }, k));
    meta[`${channel}.json`] = { version: 1 };
  }
  await writeMetadata(dir, '1.root.json', rootMd);
  await writeMetadata(dir, 'root.json', rootMd);
  await writeMetadata(dir, '1.targets.json', targetsMd);
  await writeMetadata(dir, '1.snapshot.json', signed(MetadataKind.Snapshot, { version: 1, expires: expires(now, e.snapshot), meta }, keys.snapshot));
  await writeMetadata(dir, 'timestamp.json', signed(MetadataKind.Timestamp, { version: 1, expires: expires(now, e.timestamp), meta: { 'snapshot.json': { version: 1 } } }, keys.timestamp));
}

async function hashFile(path: string): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
  } catch (error) {
    throw new SlipwayError('ARTIFACT_MISSING', `cannot read artifact ${path}: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
  }
  return { sha256: hash.digest('hex'), length };
}

export interface PublishOptions {
  version: string;
  channel: string;
  files: readonly string[];
  now: Date;
  expiry?: ExpiryDays;
}

/**
 * Publishes artifacts as targets of the channel's role (`<channel>/<version>/<file>`), then a
 * new snapshot, then, last, the timestamp: readers see the old feed or the new one. The same
 * bytes again change nothing; other bytes for a published path are refused.
 */
/** What publishing needs: the online keys only (root and top-level targets stay offline). */
export type PublishKeys = Pick<FeedKeys, 'snapshot' | 'timestamp' | 'channels'>;

export async function publishRelease(dir: string, keys: PublishKeys, options: PublishOptions): Promise<{ changed: boolean; targets: { path: string; sha256: string; length: number }[] }> {
  if (semver.valid(options.version) === null) throw new SlipwayError('INVALID_VERSION', `"${options.version}" is not a semantic version; expected something like 1.2.3`);
  const channelKey = keys.channels[options.channel];
  if (!channelKey) throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${options.channel}" has no role in this feed; expected one of ${Object.keys(keys.channels).join(', ')}`);
  const e = options.expiry ?? DEFAULT_EXPIRY;
  const timestamp = await readMetadata<Timestamp>(dir, 'timestamp.json', MetadataKind.Timestamp);
  const snapshot = await readMetadata<Snapshot>(dir, `${timestamp.signed.snapshotMeta.version}.snapshot.json`, MetadataKind.Snapshot);
  const roleMeta = snapshot.signed.meta[`${options.channel}.json`];
  if (!roleMeta) throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${options.channel}" is not in this feed's snapshot`);
  const role = await readMetadata<Targets>(dir, `${roleMeta.version}.${options.channel}.json`, MetadataKind.Targets);

  const published: { path: string; sha256: string; length: number }[] = [];
  let changed = false;
  for (const file of options.files) {
    const name = basename(file);
    const { sha256, length } = await hashFile(file);
    const path = `${options.channel}/${options.version}/${name}`;
    const existing = role.signed.targets[path];
    if (existing) {
      if (existing.hashes.sha256 !== sha256) {
        throw new SlipwayError('PUBLISH_CONFLICT', `${path} is published already with other bytes (sha256 ${existing.hashes.sha256}); a published release never changes: publish a new version`);
      }
    } else {
      // Consistent snapshot target name: <dir>/<sha256>.<file> (TUF 5.7.3), copied then renamed.
      const target = join(dir, 'targets', options.channel, options.version, `${sha256}.${name}`);
      await mkdir(join(dir, 'targets', options.channel, options.version), { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      await copyFile(file, tmp);
      if ((await stat(tmp)).size !== length) {
        await rm(tmp, { force: true });
        throw new SlipwayError('ARTIFACT_CHANGED', `${file} changed while it was being published; publish again`);
      }
      await rename(tmp, target);
      role.signed.addTarget(new TargetFile({ path, length, hashes: { sha256 } }));
      changed = true;
    }
    published.push({ path, sha256, length });
  }
  if (!changed) return { changed, targets: published };

  const now = options.now;
  const roleJson = role.signed.toJSON() as Json;
  const nextRole = signed(MetadataKind.Targets, { ...roleJson, version: role.signed.version + 1, expires: expires(now, e.targets) }, channelKey);
  await writeMetadata(dir, `${nextRole.signed.version}.${options.channel}.json`, nextRole);

  const snapshotJson = snapshot.signed.toJSON() as Json & { meta: Json };
  const nextSnapshot = signed(
    MetadataKind.Snapshot,
    { ...snapshotJson, version: snapshot.signed.version + 1, expires: expires(now, e.snapshot), meta: { ...snapshotJson.meta, [`${options.channel}.json`]: { version: nextRole.signed.version } } },
    keys.snapshot,
  );
  await writeMetadata(dir, `${nextSnapshot.signed.version}.snapshot.json`, nextSnapshot);
  // Last: until timestamp.json moves, every reader sees the previous feed, whole.
  await writeMetadata(dir, 'timestamp.json', signed(MetadataKind.Timestamp, { version: timestamp.signed.version + 1, expires: expires(now, e.timestamp), meta: { 'snapshot.json': { version: nextSnapshot.signed.version } } }, keys.timestamp));
  return { changed, targets: published };
}
