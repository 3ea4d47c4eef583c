import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  Metadata,
  MetadataKind,
  TargetFile,
  type Key,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import {
  ChannelIndexSchema,
  ManifestSchema,
  indexEntry,
  indexPath,
  manifestPath,
  parseDocument,
  platformOf,
  sortIndex,
  type Artifact,
  type ChannelIndex,
  type Manifest,
  type Severity,
} from '../core/feed/manifest.ts';
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
const isBin = (role: string): boolean => role.includes('.');
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

type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;
type Json = Record<string, unknown>;

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

/** Creates a new feed: root (version 1), targets delegating to one role per channel, snapshot, timestamp. */
export async function initFeed(
  store: FeedStore,
  keys: FeedKeys,
  options: { now: Date; expiry?: ExpiryDays },
): Promise<void> {
  if ((await store.read('metadata/root.json')) !== null)
    throw new SlipwayError('FEED_EXISTS', `${store.location} holds a feed already`);
  const foreign = [...(await store.list('metadata')), ...(await store.list('targets'))];
  if (foreign.length > 0)
    throw new SlipwayError(
      'FEED_FOREIGN',
      `${store.location} holds files that are not a Slipway feed (${foreign[0]}…); choose an empty folder`,
    );
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
  // The channel order (least to most stable) is signed with the top-level targets, so an instance
  // knows which channels are "more stable" than its own whatever the maintainer named them.
  const channelList = Buffer.from(`${JSON.stringify({ channels: Object.keys(keys.channels) })}\n`);
  const channelsHash = createHash('sha256').update(channelList).digest('hex');
  await store.write(`targets/${channelsHash}.${CHANNELS_TARGET}`, channelList);
  const targetsMd = signed(
    MetadataKind.Targets,
    {
      version: 1,
      expires: expires(now, e.targets),
      targets: { [CHANNELS_TARGET]: { length: channelList.length, hashes: { sha256: channelsHash } } },
      delegations: delegations(Object.fromEntries(Object.entries(keys.channels).map(([c, k]) => [c, k.key]))),
    },
    keys.targets,
  );
  const targetsBytes = serialize(targetsMd);
  const meta: Json = { 'targets.json': { version: 1, length: targetsBytes.length } };
  for (const [channel, k] of channels) {
    const bytes = serialize(
      signed(
        MetadataKind.Targets,
        { version: 1, expires: expires(now, e.targets), targets: {}, delegations: binDelegations(channel, k, BINS) },
        k,
      ),
    );
    await store.write(`metadata/1.${channel}.json`, bytes);
    meta[`${channel}.json`] = { version: 1, length: bytes.length };
    for (let i = 0; i < BINS; i++) {
      const bin = serialize(
        signed(MetadataKind.Targets, { version: 1, expires: expires(now, e.targets), targets: {} }, k),
      );
      await store.write(`metadata/1.${binName(channel, i)}.json`, bin);
      meta[`${binName(channel, i)}.json`] = { version: 1, length: bin.length };
    }
  }
  await store.write('metadata/1.targets.json', targetsBytes);
  await store.write(
    'metadata/1.snapshot.json',
    serialize(signed(MetadataKind.Snapshot, { version: 1, expires: expires(now, e.snapshot), meta }, keys.snapshot)),
  );
  await store.write(
    'metadata/timestamp.json',
    serialize(
      signed(
        MetadataKind.Timestamp,
        { version: 1, expires: expires(now, e.timestamp), meta: { 'snapshot.json': { version: 1 } } },
        keys.timestamp,
      ),
    ),
  );
  // Root last: a folder with root.json is a whole feed.
  await store.write('metadata/1.root.json', serialize(rootMd));
  await store.write('metadata/root.json', serialize(rootMd));
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

/** sha256 and length of a file, read into one reused buffer: memory stays flat whatever the size. */
export async function hashFile(
  path: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  let handle;
  try {
    handle = await open(path, 'r');
    const total = onProgress ? (await handle.stat()).size : 0;
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let n = 0; ; n++) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      length += bytesRead;
      if (onProgress && n % 64 === 0) onProgress(length, total);
    }
  } catch (error) {
    throw new SlipwayError(
      'ARTIFACT_MISSING',
      `cannot read artifact ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
  return { sha256: hash.digest('hex'), length };
}

/** The garbage list: a dotfile, so `feed serve` never serves it. */
const GC_FILE = 'metadata/.gc.json';

const blobSet = (md: Metadata<Targets>): Set<string> =>
  new Set(Object.values(md.signed.targets).map((t) => blobPath(t.path, t.hashes.sha256!)));

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

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

  async index(channel: string): Promise<ChannelIndex> {
    const data = await this.readTarget(channel, indexPath(channel));
    if (data === null) return { schema: 1, channel, updated: new Date(0).toISOString(), releases: [] };
    return parseDocument(ChannelIndexSchema, data.toString('utf8'), `${channel}/index.json`);
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

  async writeIndex(index: ChannelIndex, now: Date): Promise<void> {
    index.updated = now.toISOString();
    sortIndex(index.releases);
    await this.putData(index.channel, indexPath(index.channel), `${JSON.stringify(index)}\n`);
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
    await this.collect(garbage, timestampVersion);
  }

  /** Deletes what earlier changes left unreferenced, and records what this one did (see commit). */
  private async collect(garbage: readonly string[], timestampVersion: number): Promise<void> {
    let pending: { path: string; after: number }[] = [];
    const data = await this.store.read(GC_FILE);
    if (data !== null) {
      try {
        pending = (JSON.parse(data.toString('utf8')) as { pending: typeof pending }).pending;
      } catch {
        pending = [];
      }
    }
    const due = pending.filter((p) => p.after < timestampVersion).map((p) => p.path);
    const next = [
      ...pending.filter((p) => p.after >= timestampVersion),
      ...garbage.filter((g) => !g.endsWith('.root.json')).map((path) => ({ path, after: timestampVersion })),
    ];
    await this.store.write(GC_FILE, `${JSON.stringify({ pending: next })}\n`);
    await this.store.remove(due);
  }
}

export interface ReleaseInfo {
  commit?: string | null;
  buildTime?: string;
  security?: { severity: Severity; advisory?: string | null } | null;
  breaking?: boolean;
  minimumVersion?: string | null;
  hotfix?: boolean;
  notes?: string;
}

export interface PublishOptions extends ReleaseInfo {
  version: string;
  channel: string;
  files: readonly string[];
  now: Date;
  expiry?: ExpiryDays;
  /** Progress of the long part (hashing the artifacts), for a terminal. */
  progress?: (text: string) => void;
}

export interface PublishResult {
  changed: boolean;
  manifest: Manifest;
  targets: Artifact[];
}

function checkVersion(version: string): string {
  const v = semver.valid(version.replace(/^v/, ''));
  if (v === null)
    throw new SlipwayError('INVALID_VERSION', `"${version}" is not a semantic version; expected something like 1.2.3`);
  return v;
}

/**
 * Publishes a release on a channel: its artifacts, its manifest and the channel's index, signed
 * by the channel's role. The same bytes again change nothing; other bytes for a published version
 * are refused.
 */
export async function publishRelease(
  store: FeedStore,
  keys: OnlineKeys,
  options: PublishOptions,
): Promise<PublishResult> {
  const version = checkVersion(options.version);
  if (!keys.channels[options.channel])
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${options.channel}" has no key here; expected one of ${Object.keys(keys.channels).join(', ')}`,
    );
  if (options.files.length === 0) throw new SlipwayError('USAGE', 'a release needs at least one artifact');
  if (options.minimumVersion != null) checkVersion(options.minimumVersion);
  const session = await FeedSession.open(store);
  await session.role(options.channel);
  const artifacts: Record<string, Artifact> = {};
  const hashed: { file: string; artifact: Artifact }[] = [];
  for (const file of options.files) {
    const name = basename(file);
    const progress = options.progress;
    const h = await hashFile(
      file,
      progress
        ? (done, total) =>
            progress(
              `hashing ${name} ${total ? Math.floor((done / total) * 100) : 0}% (${Math.round(done / 1048576)} of ${Math.round(total / 1048576)} MiB)`,
            )
        : undefined,
    );
    const artifact: Artifact = {
      name,
      path: `${options.channel}/${version}/${name}`,
      sha256: h.sha256,
      length: h.length,
    };
    const platform = platformOf(name);
    if (artifacts[platform])
      throw new SlipwayError(
        'USAGE',
        `${artifacts[platform].name} and ${name} are both for ${platform}; publish one artifact per platform`,
      );
    artifacts[platform] = artifact;
    hashed.push({ file, artifact });
  }
  const existing = await session.manifest(options.channel, version);
  if (existing) {
    const before = Object.values(existing.artifacts)
      .map((a) => `${a.name} ${a.sha256}`)
      .sort();
    const now = Object.values(artifacts)
      .map((a) => `${a.name} ${a.sha256}`)
      .sort();
    if (before.join('\n') === now.join('\n'))
      return { changed: false, manifest: existing, targets: Object.values(existing.artifacts) };
    throw new SlipwayError(
      'PUBLISH_CONFLICT',
      `${version} is published on ${options.channel} already with other artifacts (${before.join(', ')}); a published release never changes: publish a new version`,
    );
  }
  for (const { file, artifact } of hashed) {
    const old = await session.target(options.channel, artifact.path);
    // Left by an interrupted publish (its timestamp never moved): same bytes are reused.
    if (old && old.hashes.sha256 !== artifact.sha256)
      throw new SlipwayError(
        'PUBLISH_CONFLICT',
        `${artifact.path} is published already with other bytes (sha256 ${old.hashes.sha256})`,
      );
    await session.putFile(options.channel, artifact.path, file, artifact);
  }
  const manifest: Manifest = {
    schema: 1,
    version,
    channel: options.channel,
    commit: options.commit ?? null,
    buildTime: options.buildTime ?? options.now.toISOString(),
    security: options.security
      ? { severity: options.security.severity, advisory: options.security.advisory ?? null }
      : null,
    breaking: options.breaking ?? false,
    minimumVersion: options.minimumVersion == null ? null : checkVersion(options.minimumVersion),
    hotfix: options.hotfix ?? false,
    notes: options.notes ?? '',
    artifacts,
  };
  const path = manifestPath(options.channel, version);
  await session.putData(options.channel, path, `${JSON.stringify(manifest, null, 2)}\n`);
  const index = await session.index(options.channel);
  index.releases = index.releases.filter((r) => r.version !== version);
  index.releases.push(indexEntry(manifest, path));
  await session.writeIndex(index, options.now);
  await session.commit(keys, options.now, options.expiry);
  return { changed: true, manifest, targets: Object.values(artifacts) };
}

/** Finds where a version is published: every channel whose index lists it. */
export async function locateRelease(
  session: FeedSession,
  version: string,
): Promise<{ channel: string; manifest: Manifest; yanked: { reason: string; at: string } | null }[]> {
  const v = checkVersion(version);
  const found = [];
  for (const channel of session.channels()) {
    const entry = (await session.index(channel)).releases.find((r) => r.version === v);
    if (entry) found.push({ channel, manifest: (await session.manifest(channel, v))!, yanked: entry.yanked });
  }
  return found;
}

/**
 * Lists a published release on a more stable channel: the same artifact bytes, signed by that
 * channel's role. The caller checks the promotion rules first (see rules.ts).
 */
export async function promoteRelease(
  store: FeedStore,
  keys: OnlineKeys,
  options: { version: string; to: string; hotfix?: boolean; now: Date; expiry?: ExpiryDays },
): Promise<{ changed: boolean; from: string; manifest: Manifest }> {
  const version = checkVersion(options.version);
  const session = await FeedSession.open(store);
  if (!session.channels().includes(options.to))
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${options.to}" is not in this feed; it has ${session.channels().join(', ')}`,
    );
  const where = await locateRelease(session, version);
  if (where.length === 0)
    throw new SlipwayError(
      'NOT_PUBLISHED',
      `${version} was never published to this feed; publish it first (slipway publish ${version} --channel <channel> <files…>)`,
    );
  const already = where.find((w) => w.channel === options.to);
  if (already) return { changed: false, from: options.to, manifest: already.manifest };
  const yanked = where.find((w) => w.yanked);
  if (yanked)
    throw new SlipwayError(
      'YANKED',
      `${version} was yanked (${yanked.yanked!.reason}); a yanked release cannot be promoted`,
    );
  const source = where[0]!;
  const artifacts: Record<string, Artifact> = {};
  for (const [platform, a] of Object.entries(source.manifest.artifacts)) {
    const path = `${options.to}/${version}/${a.name}`;
    await session.copyTarget(source.channel, a.path, options.to, path);
    artifacts[platform] = { ...a, path };
  }
  const manifest: Manifest = {
    ...source.manifest,
    channel: options.to,
    hotfix: source.manifest.hotfix || options.hotfix === true,
    artifacts,
  };
  const path = manifestPath(options.to, version);
  await session.putData(options.to, path, `${JSON.stringify(manifest, null, 2)}\n`);
  const index = await session.index(options.to);
  index.releases.push(indexEntry(manifest, path));
  await session.writeIndex(index, options.now);
  await session.commit(keys, options.now, options.expiry);
  return { changed: true, from: source.channel, manifest };
}

/** Withdraws a release from every channel: instances never install it; the index keeps it, with the reason. */
export async function yankRelease(
  store: FeedStore,
  keys: OnlineKeys,
  options: { version: string; reason: string; now: Date; expiry?: ExpiryDays },
): Promise<{ channels: string[]; changed: boolean }> {
  if (options.reason.trim() === '')
    throw new SlipwayError(
      'USAGE',
      'give the reason a release is yanked with --reason "…"; instances and the feed show it',
    );
  const session = await FeedSession.open(store);
  const where = await locateRelease(session, options.version);
  if (where.length === 0)
    throw new SlipwayError(
      'NOT_PUBLISHED',
      `${options.version} was never published to this feed, so there is nothing to yank`,
    );
  const todo = where.filter((w) => w.yanked === null);
  for (const w of todo) {
    if (!keys.channels[w.channel])
      throw new SlipwayError(
        'KEY_MISSING',
        `${options.version} is on ${w.channel}; yanking it needs that channel's key (${w.channel}.pem)`,
      );
    const index = await session.index(w.channel);
    for (const r of index.releases)
      if (r.version === w.manifest.version) r.yanked = { reason: options.reason, at: options.now.toISOString() };
    await session.writeIndex(index, options.now);
  }
  await session.commit(keys, options.now, options.expiry);
  return { channels: where.map((w) => w.channel), changed: todo.length > 0 };
}

/** Keeps the newest `keep` releases of a channel; older ones leave the index, the role and the store. */
export async function pruneChannel(
  store: FeedStore,
  keys: OnlineKeys,
  options: { channel: string; keep: number; now: Date; expiry?: ExpiryDays; dryRun?: boolean },
): Promise<{ pruned: string[] }> {
  const session = await FeedSession.open(store);
  const index = await session.index(options.channel);
  sortIndex(index.releases);
  const pruned = index.releases.slice(options.keep);
  if (pruned.length === 0 || options.dryRun) return { pruned: pruned.map((r) => r.version) };
  const gone = new Set(pruned.map((r) => r.version));
  const paths: string[] = [];
  for (const r of pruned) {
    const m = await session.manifest(options.channel, r.version).catch(() => null);
    paths.push(r.manifest, ...Object.values(m?.artifacts ?? {}).map((a) => a.path));
  }
  await session.removeTargets(options.channel, paths);
  index.releases = index.releases.slice(0, options.keep);
  await session.writeIndex(index, options.now);
  await session.commit(keys, options.now, options.expiry);
  // The human view of a pruned release goes too, unless another channel still lists the version.
  const elsewhere = new Set<string>();
  for (const c of session.channels())
    if (c !== options.channel) for (const r of (await session.index(c)).releases) elsewhere.add(r.version);
  for (const v of gone) if (!elsewhere.has(v)) await store.remove(await store.list(`releases/${v}`));
  return { pruned: [...gone] };
}
