// TUF metadata of the feed: keys per role, expiry, hashed bins, signing and reading, consistent-snapshot paths.
import {
  Metadata,
  MetadataKind,
  type Key,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import { SlipwayError } from '../core/errors.ts';
import type { SigningKey } from './keys.ts';
import type { FeedStore } from './store.ts';

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

/** What changing releases needs: the online keys only (root and top-level targets stay offline). */
export interface OnlineKeys {
  /** Needed only when the top-level targets change (a channel key rotates, or it is re-signed before expiry). */
  targets?: SigningKey;
  snapshot: SigningKey;
  timestamp: SigningKey;
  /** The keys of the channels being changed; others may be left out. */
  channels: Record<string, SigningKey>;
}

export interface ExpiryDays {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
}

export const DEFAULT_EXPIRY: ExpiryDays = { root: 365, targets: 90, snapshot: 14, timestamp: 1 };

/**
 * Each channel's targets are spread over hashed bins (TUF's hash bin delegation): the channel role
 * delegates to BINS roles by the first two hex digits of sha256(target path), all signed with the
 * channel's key. A change re-signs only the bins it touches and an instance loads only the bins of
 * the paths it looks up, so neither grows with the channel's history (and @tufjs/models, which
 * spends quadratic time on a role's target list, only ever sees a small one).
 */
export const BINS = 64;
/** The top-level target that lists the channels, least stable first. */
export const CHANNELS_TARGET = 'channels.json';
export const binName = (channel: string, i: number): string => `${channel}.bin-${i.toString(16).padStart(2, '0')}`;
export const isBin = (role: string): boolean => role.includes('.');
export const channelOfRole = (role: string): string => role.split('.')[0]!;

export function binDelegations(channel: string, key: SigningKey, bins: number): Json {
  const per = 256 / bins;
  return {
    keys: { [key.key.keyID]: key.key.toJSON() },
    roles: Array.from({ length: bins }, (_, i) => ({
      name: binName(channel, i),
      keyids: [key.key.keyID],
      threshold: 1,
      terminating: true,
      path_hash_prefixes: Array.from({ length: per }, (_, j) => (i * per + j).toString(16).padStart(2, '0')),
    })),
  };
}

export function expires(now: Date, days: number): string {
  return `${new Date(now.getTime() + days * DAY).toISOString().slice(0, 19)}Z`;
}

export type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;
export type Json = Record<string, unknown>;

/** Builds signed metadata from its spec-shaped JSON (validated by @tufjs/models) and signs it with every key given. */
export function signed(kind: MetadataKind, body: Json, ...keys: SigningKey[]): AnyMetadata {
  const md = Metadata.fromJSON(kind as MetadataKind.Targets, {
    signed: { _type: kind, spec_version: SPEC, ...body },
    signatures: [],
  }) as AnyMetadata;
  for (const key of keys) md.sign((d) => key.sign(d));
  return md;
}

export const serialize = (md: AnyMetadata): Buffer => Buffer.from(`${JSON.stringify(md.toJSON(), null, 1)}\n`);

export async function readMetadata<T extends Root | Targets | Snapshot | Timestamp>(
  store: FeedStore,
  name: string,
  kind: MetadataKind,
): Promise<Metadata<T>> {
  const path = `metadata/${name}`;
  const data = await store.read(path);
  if (data === null)
    throw new SlipwayError(
      'FEED_NOT_FOUND',
      `${store.location}/${path} is missing: ${store.location} is not a Slipway feed, or not a whole one (create one with slipway feed init)`,
    );
  try {
    return Metadata.fromJSON(
      kind as MetadataKind.Targets,
      JSON.parse(data.toString('utf8')) as never,
    ) as unknown as Metadata<T>;
  } catch (error) {
    throw new SlipwayError(
      'FEED_INVALID',
      `${store.location}/${path} is not TUF ${kind} metadata Slipway can read: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Consistent-snapshot file of a target (TUF 5.7.3): <dir>/<sha256>.<name>. */
export function blobPath(targetPath: string, sha256: string): string {
  const cut = targetPath.lastIndexOf('/');
  return `targets/${targetPath.slice(0, cut)}/${sha256}.${targetPath.slice(cut + 1)}`;
}

/** Targets are <channel>/index.json and <channel>/<version>/<file>; TUF matches path patterns segment by segment. */
export function delegations(channels: Record<string, Key>): Json {
  const entries = Object.entries(channels);
  return {
    keys: Object.fromEntries(entries.map(([, k]) => [k.keyID, k.toJSON()])),
    roles: entries.map(([channel, k]) => ({
      name: channel,
      keyids: [k.keyID],
      threshold: 1,
      terminating: true,
      paths: [`${channel}/*`, `${channel}/*/*`],
    })),
  };
}
