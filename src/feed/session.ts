import { MetadataKind, TargetFile, type Metadata, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { SlipwayError } from '../core/errors.ts';
import {
  ChannelIndexSchema,
  ChannelShardsSchema,
  planShards,
  shardPath,
  type ChannelShards,
  type IndexEntry,
  ManifestSchema,
  indexPath,
  manifestPath,
  parseDocument,
  sortIndex,
  type ChannelIndex,
  type Manifest,
} from '../core/feed/manifest.ts';
import { AgentIndexSchema, agentIndexPath, type AgentIndex } from '../core/feed/agent.ts';
import { sha256 } from '../io/hash.ts';
import { collectGarbage } from './gc.ts';
import {
  CHANNELS_TARGET,
  DEFAULT_EXPIRY,
  blobPath,
  channelOfRole,
  expires,
  isBin,
  readMetadata,
  serialize,
  signed,
  type ExpiryDays,
  type Json,
  type OnlineKeys,
} from './metadata.ts';
import type { FeedStore } from './store.ts';

const blobSet = (md: Metadata<Targets>): Set<string> =>
  new Set(Object.values(md.signed.targets).map((t) => blobPath(t.path, t.hashes.sha256!)));

/**
 * One change to the feed: reads the current timestamp, snapshot and channel roles, collects new
 * targets, then commits in the order that keeps the feed valid for readers at every instant:
 * target files, then the channel roles and snapshot (new version numbers, so nothing a reader
 * uses is overwritten), then, last, timestamp.json. Interrupted anywhere before that last write,
 * readers still see the previous feed, whole, and the next change completes over the leftovers.
 */
export class FeedSession {
  readonly store: FeedStore;
  readonly timestamp: Metadata<Timestamp>;
  readonly snapshot: Metadata<Snapshot>;
  private readonly roles = new Map<string, Metadata<Targets>>();
  private readonly changed = new Set<string>();
  /** The files each role referenced when it was read. */
  private readonly loadedBlobs = new Map<string, Set<string>>();

  private constructor(store: FeedStore, timestamp: Metadata<Timestamp>, snapshot: Metadata<Snapshot>) {
    this.store = store;
    this.timestamp = timestamp;
    this.snapshot = snapshot;
  }

  static async open(store: FeedStore): Promise<FeedSession> {
    const timestamp = await readMetadata<Timestamp>(store, 'timestamp.json', MetadataKind.Timestamp);
    const snapshot = await readMetadata<Snapshot>(
      store,
      `${timestamp.signed.snapshotMeta.version}.snapshot.json`,
      MetadataKind.Snapshot,
    );
    return new FeedSession(store, timestamp, snapshot);
  }

  channels(): string[] {
    return Object.keys(this.snapshot.signed.meta)
      .map((n) => n.replace(/\.json$/, ''))
      .filter((n) => n !== 'targets' && !isBin(n));
  }

  /** A delegated role by name: a channel (which delegates to its bins) or a bin. */
  async role(name: string): Promise<Metadata<Targets>> {
    const cached = this.roles.get(name);
    if (cached) return cached;
    const meta = this.snapshot.signed.meta[`${name}.json`];
    if (!meta)
      throw new SlipwayError(
        'UNKNOWN_CHANNEL',
        `channel "${channelOfRole(name)}" is not in this feed; it has ${this.channels().join(', ')}`,
      );
    const role = await readMetadata<Targets>(this.store, `${meta.version}.${name}.json`, MetadataKind.Targets);
    this.roles.set(name, role);
    this.loadedBlobs.set(name, blobSet(role));
    return role;
  }

  /** The roles of a channel's bins, in order. */
  async bins(channel: string): Promise<string[]> {
    const roles = (await this.role(channel)).signed.delegations?.roles ?? {};
    return Object.keys(roles);
  }

  /** The bin that holds a target path (the channel role itself for a feed without bins). */
  async binOf(channel: string, path: string): Promise<Metadata<Targets>> {
    const role = await this.role(channel);
    const delegated = Object.values(role.signed.delegations?.roles ?? {}).find((r) => r.isDelegatedPath(path));
    return delegated ? this.role(delegated.name) : role;
  }

  async target(channel: string, path: string): Promise<TargetFile | undefined> {
    return (await this.binOf(channel, path)).signed.targets[path];
  }

  /** The bytes of a target, checked against the role's hash. */
  async readTarget(channel: string, path: string): Promise<Buffer | null> {
    const t = await this.target(channel, path);
    if (!t) return null;
    const data = await this.store.read(blobPath(path, t.hashes.sha256!));
    if (data === null || sha256(data) !== t.hashes.sha256)
      throw new SlipwayError(
        'FEED_INVALID',
        `${this.store.location}/${blobPath(path, t.hashes.sha256!)} is missing or does not match its metadata`,
      );
    return data;
  }

  /** Each loaded shard's releases as JSON, so that writing the index rewrites only the shards that changed. */
  private readonly loadedShards = new Map<string, { releases: string; updated: string }>();
  /** Each channel's shard ranges as read (their lower bounds), which writing keeps. */
  private readonly loadedBounds = new Map<string, string[]>();

  /** A channel's whole index (every line's shard, or a legacy single index.json). */
  async index(channel: string): Promise<ChannelIndex> {
    const data = await this.readTarget(channel, indexPath(channel));
    if (data === null) return { schema: 1, channel, updated: new Date(0).toISOString(), releases: [] };
    const text = data.toString('utf8');
    if ((JSON.parse(text) as { schema?: unknown }).schema === 1)
      return parseDocument(ChannelIndexSchema, text, `${channel}/index.json`);
    const top = parseDocument(ChannelShardsSchema, text, `${channel}/index.json`);
    this.loadedBounds.set(
      channel,
      top.shards.map((l) => l.from),
    );
    const releases: IndexEntry[] = [];
    for (const l of top.shards) {
      const shard = await this.readTarget(channel, l.path);
      if (shard === null)
        throw new SlipwayError('FEED_INVALID', `${channel}/index.json lists ${l.path}, which no role signs`);
      const parsed = parseDocument(ChannelIndexSchema, shard.toString('utf8'), l.path);
      this.loadedShards.set(l.path, { releases: JSON.stringify(parsed.releases), updated: parsed.updated });
      releases.push(...parsed.releases);
    }
    return { schema: 1, channel, updated: top.updated, releases: sortIndex(releases) };
  }

  /** Slipway's own executables the channel carries (an empty list when it has none). */
  async agentIndex(channel: string): Promise<AgentIndex> {
    const data = await this.readTarget(channel, agentIndexPath(channel));
    if (data === null) return { schema: 1, channel, updated: new Date(0).toISOString(), releases: [] };
    return parseDocument(AgentIndexSchema, data.toString('utf8'), agentIndexPath(channel));
  }

  async manifest(channel: string, version: string): Promise<Manifest | null> {
    const data = await this.readTarget(channel, manifestPath(channel, version));
    return data === null ? null : parseDocument(ManifestSchema, data.toString('utf8'), manifestPath(channel, version));
  }

  private async replaceTarget(channel: string, file: TargetFile): Promise<void> {
    const bin = await this.binOf(channel, file.path);
    bin.signed.addTarget(file);
    this.changed.add(this.nameOf(bin));
  }

  private nameOf(md: Metadata<Targets>): string {
    for (const [name, role] of this.roles) if (role === md) return name;
    throw new SlipwayError('BUG', 'a role that was not loaded through the session');
  }

  async putData(channel: string, path: string, data: string): Promise<void> {
    const bytes = Buffer.from(data);
    const hash = sha256(bytes);
    await this.store.write(blobPath(path, hash), bytes);
    await this.replaceTarget(channel, new TargetFile({ path, length: bytes.length, hashes: { sha256: hash } }));
  }

  async putFile(
    channel: string,
    path: string,
    localFile: string,
    hash: { sha256: string; length: number },
  ): Promise<void> {
    await this.store.putFile(blobPath(path, hash.sha256), localFile, hash.length);
    await this.replaceTarget(channel, new TargetFile({ path, length: hash.length, hashes: { sha256: hash.sha256 } }));
  }

  /** Lists an existing target of one channel under another path (promotion): same bytes, other role. */
  async copyTarget(fromChannel: string, from: string, toChannel: string, to: string): Promise<void> {
    const t = await this.target(fromChannel, from);
    if (!t) throw new SlipwayError('FEED_INVALID', `${from} is not a target of ${fromChannel}`);
    await this.store.copy(blobPath(from, t.hashes.sha256!), blobPath(to, t.hashes.sha256!));
    await this.replaceTarget(toChannel, new TargetFile({ path: to, length: t.length, hashes: { ...t.hashes } }));
  }

  async removeTargets(channel: string, paths: readonly string[]): Promise<void> {
    for (const p of paths) {
      const bin = await this.binOf(channel, p);
      if (!bin.signed.targets[p]) continue;
      delete bin.signed.targets[p];
      this.changed.add(this.nameOf(bin));
    }
  }

  /**
   * Writes a channel's index sharded (see ChannelShardsSchema): the ranges read stay, and only
   * the shards whose releases changed are written again, then the list of shards.
   */
  async writeIndex(index: ChannelIndex, now: Date): Promise<void> {
    const channel = index.channel;
    sortIndex(index.releases);
    const shards: ChannelShards['shards'] = [];
    const written = new Set<string>();
    for (const shard of planShards(index.releases, this.loadedBounds.get(channel) ?? []).reverse()) {
      const path = shardPath(channel, shard.from);
      written.add(path);
      shards.push({ from: shard.from, path, newest: shard.releases[0]!.version, releases: shard.releases.length });
      const json = JSON.stringify(shard.releases);
      if (this.loadedShards.get(path)?.releases === json && (await this.target(channel, path))) continue;
      const body = { schema: 1, channel, updated: now.toISOString(), releases: shard.releases };
      await this.putData(channel, path, `${JSON.stringify(body)}\n`);
      this.loadedShards.set(path, { releases: json, updated: now.toISOString() });
    }
    this.loadedBounds.set(
      channel,
      shards.map((l) => l.from),
    );
    // Shards with no release left (pruned) leave the index.
    const gone = [...this.loadedShards.keys()].filter((p) => p.startsWith(`${channel}/index/`) && !written.has(p));
    await this.removeTargets(channel, gone);
    for (const p of gone) this.loadedShards.delete(p);
    const top: ChannelShards = { schema: 2, channel, updated: now.toISOString(), shards };
    index.updated = top.updated;
    await this.putData(channel, indexPath(channel), `${JSON.stringify(top)}\n`);
  }

  get dirty(): boolean {
    return this.changed.size > 0 || this.top !== null;
  }

  /** Replaces a loaded role's metadata (key rotation), to be signed at commit. */
  setRole(name: string, md: Metadata<Targets>): void {
    if (!this.roles.has(name)) throw new SlipwayError('BUG', `role ${name} was not loaded`);
    this.roles.set(name, md);
    this.changed.add(name);
  }

  /** Marks a role (a channel or a bin) to be signed again (a new version, a new expiry) at commit. */
  async touch(name: string): Promise<void> {
    await this.role(name);
    this.changed.add(name);
  }

  private top: Metadata<Targets> | null = null;

  async topTargets(): Promise<Metadata<Targets>> {
    if (this.top) return this.top;
    const meta = this.snapshot.signed.meta['targets.json'];
    return readMetadata<Targets>(this.store, `${meta?.version ?? 1}.targets.json`, MetadataKind.Targets);
  }

  /** The feed's channels, least stable first (its signed channels.json; older feeds: as the snapshot lists them). */
  async channelOrder(): Promise<string[]> {
    const t = (await this.topTargets()).signed.targets[CHANNELS_TARGET];
    const data = t ? await this.store.read(`targets/${t.hashes.sha256}.${CHANNELS_TARGET}`) : null;
    if (data !== null) {
      const parsed = JSON.parse(data.toString('utf8')) as { channels?: unknown };
      if (Array.isArray(parsed.channels)) return parsed.channels.filter((c): c is string => typeof c === 'string');
    }
    return this.channels();
  }

  /** Replaces the top-level targets metadata (signed with the targets key at commit). */
  setTopTargets(md: Metadata<Targets>): void {
    this.top = md;
  }

  /** A new timestamp for the same snapshot: what keeps a quiet feed fresh. */
  async commitTimestamp(
    keys: Pick<OnlineKeys, 'timestamp'>,
    now: Date,
    expiry: ExpiryDays = DEFAULT_EXPIRY,
  ): Promise<void> {
    await this.store.write(
      'metadata/timestamp.json',
      serialize(
        signed(
          MetadataKind.Timestamp,
          {
            version: this.timestamp.signed.version + 1,
            expires: expires(now, expiry.timestamp),
            meta: { 'snapshot.json': { version: this.snapshot.signed.version } },
          },
          keys.timestamp,
        ),
      ),
    );
  }

  /** Signs the changed channel roles, a new snapshot and, last, the timestamp. */
  async commit(keys: OnlineKeys, now: Date, expiry: ExpiryDays = DEFAULT_EXPIRY, force = false): Promise<void> {
    if (!this.dirty && !force) return;
    const meta = { ...(this.snapshot.signed.toJSON() as { meta: Json }).meta };
    // Files this change leaves unreferenced; readers that fetched the previous timestamp may still
    // need them, so they are deleted by the change after this one (.gc.json keeps the list).
    const garbage: string[] = [];
    if (this.top) {
      if (!keys.targets)
        throw new SlipwayError(
          'KEY_MISSING',
          'this change re-signs the top-level targets metadata and needs the targets key (targets.pem)',
        );
      const next = signed(
        MetadataKind.Targets,
        {
          ...(this.top.signed.toJSON() as Json),
          version: this.top.signed.version + 1,
          expires: expires(now, expiry.targets),
        },
        keys.targets,
      );
      const bytes = serialize(next);
      await this.store.write(`metadata/${next.signed.version}.targets.json`, bytes);
      meta['targets.json'] = { version: next.signed.version, length: bytes.length };
      garbage.push(`metadata/${this.top.signed.version}.targets.json`);
    }
    for (const channel of this.changed) {
      const key = keys.channels[channelOfRole(channel)];
      if (!key)
        throw new SlipwayError(
          'KEY_MISSING',
          `changing channel ${channelOfRole(channel)} needs its key (${channelOfRole(channel)}.pem)`,
        );
      const role = this.roles.get(channel)!;
      const next = signed(
        MetadataKind.Targets,
        { ...(role.signed.toJSON() as Json), version: role.signed.version + 1, expires: expires(now, expiry.targets) },
        key,
      );
      const bytes = serialize(next);
      await this.store.write(`metadata/${next.signed.version}.${channel}.json`, bytes);
      meta[`${channel}.json`] = { version: next.signed.version, length: bytes.length };
      garbage.push(`metadata/${role.signed.version}.${channel}.json`);
      const kept = blobSet(role);
      for (const b of this.loadedBlobs.get(channel)!) if (!kept.has(b)) garbage.push(b);
    }
    const snapshotVersion = this.snapshot.signed.version + 1;
    await this.store.write(
      `metadata/${snapshotVersion}.snapshot.json`,
      serialize(
        signed(
          MetadataKind.Snapshot,
          { version: snapshotVersion, expires: expires(now, expiry.snapshot), meta },
          keys.snapshot,
        ),
      ),
    );
    garbage.push(`metadata/${this.snapshot.signed.version}.snapshot.json`);
    const timestampVersion = this.timestamp.signed.version + 1;
    // Last: until timestamp.json moves, every reader sees the previous feed, whole.
    await this.store.write(
      'metadata/timestamp.json',
      serialize(
        signed(
          MetadataKind.Timestamp,
          {
            version: timestampVersion,
            expires: expires(now, expiry.timestamp),
            meta: { 'snapshot.json': { version: snapshotVersion } },
          },
          keys.timestamp,
        ),
      ),
    );
    await collectGarbage(this.store, garbage, timestampVersion);
  }
}

/** How long a change waits for another publisher's change to the same feed before it gives up. */
export const FEED_LOCK_WAIT_MS = 10 * 60_000;

/**
 * One change to the feed, serialized with every other change on the same store (a lock file for a
 * local feed, a lease object for S3): the session is opened once the lock is held, so the change
 * builds on the newest feed, and two publishers can never both write snapshot N+1.
 */
export async function changeFeed<T>(
  store: FeedStore,
  change: (session: FeedSession) => Promise<T>,
  waitMs = Number(process.env.SLIPWAY_FEED_LOCK_WAIT_MS ?? FEED_LOCK_WAIT_MS),
): Promise<T> {
  const release = await store.lock(waitMs);
  try {
    return await change(await FeedSession.open(store));
  } finally {
    await release();
  }
}
