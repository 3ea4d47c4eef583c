import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataKind, type Key, type Root } from '@tufjs/models';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFilesAtomic } from '../io/atomic-write.ts';
import {
  generateKey,
  keyFiles,
  keyPassphrase,
  loadKey,
  type KeyAlgorithm,
  type KeyStoreOptions,
  type SigningKey,
} from './keys.ts';
import {
  DEFAULT_EXPIRY,
  binDelegations,
  delegations,
  expires,
  readMetadata,
  serialize,
  signed,
  type ExpiryDays,
  type OnlineKeys,
} from './metadata.ts';
import { FeedSession, changeFeed } from './session.ts';
import type { FeedStore } from './store.ts';

export interface RoleStatus {
  role: string;
  /** For the line that stands for a channel's hashed bins: how many. */
  bins?: number;
  version: number;
  expires: string;
  /** Seconds until expiry (negative: expired). */
  expiresIn: number;
  state: 'ok' | 'expiring' | 'expired';
}

export interface ChannelStatus {
  channel: string;
  releases: number;
  yanked: number;
  newest: string | null;
  /** Slipway's executables on the channel (feed publish-agent), newest first. */
  agent: string[];
}

const DAY = 86_400;

function roleStatus(role: string, md: { version: number; expires: string }, now: Date, periodDays: number): RoleStatus {
  const expiresIn = Math.round((Date.parse(md.expires) - now.getTime()) / 1000);
  const state = expiresIn <= 0 ? 'expired' : expiresIn < (periodDays * DAY) / 2 ? 'expiring' : 'ok';
  return { role, version: md.version, expires: md.expires, expiresIn, state };
}

/** Every role's version and expiry, and each channel's releases: `slipway feed status`. */
export async function feedStatus(
  store: FeedStore,
  now: Date,
  expiry: ExpiryDays = DEFAULT_EXPIRY,
): Promise<{ roles: RoleStatus[]; channels: ChannelStatus[] }> {
  return statusOf(await FeedSession.open(store), now, expiry);
}

async function statusOf(
  session: FeedSession,
  now: Date,
  expiry: ExpiryDays,
): Promise<{ roles: RoleStatus[]; channels: ChannelStatus[] }> {
  const store = session.store;
  const root = await readMetadata<Root>(store, 'root.json', MetadataKind.Root);
  const top = await session.topTargets();
  const roles = [
    roleStatus('root', root.signed, now, Math.min(expiry.root, 60)),
    roleStatus('targets', top.signed, now, expiry.targets),
    roleStatus('snapshot', session.snapshot.signed, now, expiry.snapshot),
    roleStatus('timestamp', session.timestamp.signed, now, expiry.timestamp),
  ];
  const channels: ChannelStatus[] = [];
  for (const channel of session.channels()) {
    roles.push(roleStatus(channel, (await session.role(channel)).signed, now, expiry.targets));
    const bins = await session.bins(channel);
    if (bins.length > 0) {
      // One line for the bins: the one that expires first.
      let first: { version: number; expires: string } | null = null;
      for (const b of bins) {
        const md = (await session.role(b)).signed;
        if (first === null || md.expires < first.expires) first = { version: md.version, expires: md.expires };
      }
      roles.push({ ...roleStatus(`${channel}.bin-*`, first!, now, expiry.targets), bins: bins.length });
    }
    const index = await session.index(channel);
    const live = index.releases.filter((r) => r.yanked === null);
    channels.push({
      channel,
      releases: index.releases.length,
      yanked: index.releases.length - live.length,
      newest: live[0]?.version ?? null,
      agent: (await session.agentIndex(channel)).releases.map((r) => r.version),
    });
  }
  return { roles, channels };
}

export interface RefreshKeys {
  timestamp: SigningKey;
  snapshot?: SigningKey;
  targets?: SigningKey;
  channels?: Record<string, SigningKey>;
}

/**
 * Re-signs before expiry: the timestamp always; channel roles and the top-level targets when less
 * than half their period is left and their key is at hand; the snapshot when anything changed or
 * it is itself half way to expiry. Roles that need an offline key come back as warnings.
 */
export async function refreshFeed(
  store: FeedStore,
  keys: RefreshKeys,
  options: { now: Date; expiry?: ExpiryDays; dryRun?: boolean },
): Promise<{ resigned: string[]; warnings: string[] }> {
  const e = options.expiry ?? DEFAULT_EXPIRY;
  return changeFeed(store, async (session) => {
    const { roles } = await statusOf(session, options.now, e);
    const resigned: string[] = [];
    const warnings: string[] = [];
    const channels = session.channels();
    for (const r of roles) {
      if (r.state === 'ok' || r.role === 'snapshot' || r.role === 'timestamp') continue;
      if (r.role === 'root') {
        warnings.push(
          `root expires ${r.expires}: sign a new root with the offline root key (slipway keys rotate root)`,
        );
      } else if (r.role === 'targets') {
        if (keys.targets) {
          session.setTopTargets(await session.topTargets());
          resigned.push('targets');
        } else
          warnings.push(`targets expires ${r.expires}: run feed refresh with the targets key at hand (--offline-keys)`);
      } else if (channels.includes(r.role)) {
        if (keys.channels?.[r.role]) {
          await session.touch(r.role);
          resigned.push(r.role);
        } else warnings.push(`${r.role} expires ${r.expires}: its key (${r.role}.pem) is not in the key folder`);
      } else if (r.role.endsWith('.bin-*')) {
        const channel = r.role.slice(0, -'.bin-*'.length);
        if (!keys.channels?.[channel]) {
          warnings.push(
            `bins of ${channel} expire from ${r.expires}: its key (${channel}.pem) is not in the key folder`,
          );
          continue;
        }
        const half = (e.targets * 86_400_000) / 2;
        let n = 0;
        for (const b of await session.bins(channel)) {
          if (Date.parse((await session.role(b)).signed.expires) - options.now.getTime() < half) {
            await session.touch(b);
            n++;
          }
        }
        resigned.push(`${n} bin(s) of ${channel}`);
      }
    }
    const snapshotDue = roles.find((r) => r.role === 'snapshot')!.state !== 'ok';
    if (options.dryRun)
      return { resigned: [...resigned, ...(session.dirty || snapshotDue ? ['snapshot'] : []), 'timestamp'], warnings };
    if (session.dirty || snapshotDue) {
      if (!keys.snapshot)
        throw new SlipwayError(
          'KEY_MISSING',
          'the snapshot must be signed again and needs the snapshot key (snapshot.pem)',
        );
      const online: OnlineKeys = {
        snapshot: keys.snapshot,
        timestamp: keys.timestamp,
        channels: keys.channels ?? {},
        ...(keys.targets ? { targets: keys.targets } : {}),
      };
      await session.commit(online, options.now, e, true);
      resigned.push('snapshot', 'timestamp');
    } else {
      await session.commitTimestamp(keys, options.now, e);
      resigned.push('timestamp');
    }
    return { resigned, warnings };
  });
}

export interface RotateOptions extends KeyStoreOptions {
  role: string;
  algorithm: KeyAlgorithm;
  now: Date;
  expiry?: ExpiryDays;
}

const TOP = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/**
 * Replaces one role's key. The root metadata moves to version N+1 — for a root rotation signed by
 * both the old and the new root key, so instances that trust N follow the chain — and the rotated
 * role's metadata is signed again with the new key. The old private key is kept as
 * `<role>.retired-<time>.pem`.
 */
export async function rotateKey(
  store: FeedStore,
  options: RotateOptions,
): Promise<{ role: string; oldKeyID: string; newKeyID: string; rootVersion: number }> {
  const { role, now } = options;
  const e = options.expiry ?? DEFAULT_EXPIRY;
  return changeFeed(store, async (session) => {
    const channels = session.channels();
    if (!TOP.has(role) && !channels.includes(role))
      throw new SlipwayError(
        'USAGE',
        `"${role}" is not a role of this feed; expected root, targets, snapshot, timestamp or a channel (${channels.join(', ')})`,
      );
    const secret = keyPassphrase(options);
    const load = (r: string): Promise<SigningKey> => loadKey(r, options);
    const old = await load(role);
    const fresh = generateKey(role, options.algorithm, secret);
    const pending = join(options.dir, `${role}.next`);
    if (await exists(`${pending}.pem`))
      throw new SlipwayError(
        'ROTATION_PENDING',
        `${pending}.pem exists: an earlier rotation stopped half way; move it away after checking the feed with slipway feed status`,
      );
    await writeFilesAtomic(keyFiles(options.dir, `${role}.next`, fresh));

    const root = await readMetadata<Root>(store, 'root.json', MetadataKind.Root);
    let rootVersion = root.signed.version;
    if (TOP.has(role)) {
      const json = root.signed.toJSON() as {
        keys: Record<string, unknown>;
        roles: Record<string, { keyids: string[]; threshold: number }>;
      };
      const keys = { ...json.keys };
      const roles = structuredClone(json.roles);
      roles[role]!.keyids = roles[role]!.keyids.filter((id) => id !== old.key.keyID).concat(fresh.signing.key.keyID);
      keys[fresh.signing.key.keyID] = fresh.signing.key.toJSON();
      if (!Object.values(roles).some((r) => r.keyids.includes(old.key.keyID))) delete keys[old.key.keyID];
      rootVersion += 1;
      const rootKey = role === 'root' ? old : await load('root');
      const signers = role === 'root' ? [old, fresh.signing] : [rootKey];
      const next = signed(
        MetadataKind.Root,
        { ...(json as Record<string, unknown>), version: rootVersion, expires: expires(now, e.root), keys, roles },
        ...signers,
      ) as Metadata<Root>;
      const bytes = serialize(next);
      await store.write(`metadata/${rootVersion}.root.json`, bytes);
      await store.write('metadata/root.json', bytes);
    }
    if (role !== 'root') {
      const online: OnlineKeys = {
        snapshot: role === 'snapshot' ? fresh.signing : await load('snapshot'),
        timestamp: role === 'timestamp' ? fresh.signing : await load('timestamp'),
        channels: {},
      };
      if (role === 'targets') {
        online.targets = fresh.signing;
        session.setTopTargets(await session.topTargets());
      } else if (channels.includes(role)) {
        online.targets = await load('targets');
        online.channels[role] = fresh.signing;
        const top = await session.topTargets();
        const keysByChannel: Record<string, Key> = {};
        for (const c of channels) {
          const id = top.signed.delegations?.roles?.[c]?.keyIDs[0];
          const key = id ? top.signed.delegations?.keys[id] : undefined;
          if (!key)
            throw new SlipwayError('FEED_INVALID', `the top-level targets metadata has no key for channel ${c}`);
          keysByChannel[c] = c === role ? fresh.signing.key : key;
        }
        const json = top.signed.toJSON() as Record<string, unknown>;
        session.setTopTargets(
          Metadata.fromJSON(MetadataKind.Targets, {
            signed: { ...json, delegations: delegations(keysByChannel) },
            signatures: [],
          } as never),
        );
        // The channel role delegates to its bins with the channel's key: both move to the new key.
        const bins = await session.bins(role);
        const channelRole = await session.role(role);
        session.setRole(
          role,
          Metadata.fromJSON(MetadataKind.Targets, {
            signed: {
              ...(channelRole.signed.toJSON() as Record<string, unknown>),
              delegations: binDelegations(role, fresh.signing, bins.length),
            },
            signatures: [],
          } as never),
        );
        for (const b of bins) await session.touch(b);
      }
      await session.commit(online, now, e, true);
    }
    const retired = join(options.dir, `${role}.retired-${now.toISOString().replace(/[:.]/g, '-')}`);
    await rename(join(options.dir, `${role}.pem`), `${retired}.pem`);
    await rename(join(options.dir, `${role}.pub.json`), `${retired}.pub.json`).catch(() => undefined);
    await rename(`${pending}.pem`, join(options.dir, `${role}.pem`));
    await rename(`${pending}.pub.json`, join(options.dir, `${role}.pub.json`));
    return { role, oldKeyID: old.key.keyID, newKeyID: fresh.signing.key.keyID, rootVersion };
  });
}
