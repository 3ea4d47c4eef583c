import semver from 'semver';
import { z } from 'zod';
import { SlipwayError } from '../errors.ts';
import { parseJsonDocument } from '../json-document.ts';

/**
 * What the feed says about a release, beside its artifacts. Both documents are TUF targets of the
 * channel's delegated role, so an instance reads them only after tuf-js has verified them.
 */

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in lower-case hex');
const Version = z.string().refine((v) => semver.valid(v) !== null, 'expected a semantic version such as 1.2.3');
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What an artifact is: an app archive (slipway.app.json at its top), a wheel, an sdist, … */
export const ARTIFACT_KINDS = ['app', 'tarball', 'sdist', 'wheel', 'zip', 'binary'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export const ArtifactSchema = z
  .object({
    name: z.string().min(1),
    /** linux/amd64, linux/arm64, … or any (absent in manifests written before kinds: the record's key). */
    platform: z.string().min(1).optional(),
    kind: z.enum(ARTIFACT_KINDS).optional(),
    /** The TUF target path, e.g. stable/1.2.3/app-linux-amd64.tar.gz. */
    path: z.string().min(1),
    sha256: Sha256,
    length: z.number().int().nonnegative(),
    /** For a .tar.gz: the bytes it unpacks to and its entry count, so an instance refuses a bomb before writing past it. */
    unpackedSize: z.number().int().nonnegative().optional(),
    entries: z.number().int().nonnegative().optional(),
  })
  .strict();
export type Artifact = z.infer<typeof ArtifactSchema>;

export const ManifestSchema = z
  .object({
    schema: z.literal(1),
    version: Version,
    channel: z.string().min(1),
    commit: z.string().nullable(),
    buildTime: z.string(),
    security: z
      .object({ severity: z.enum(SEVERITIES), advisory: z.string().nullable() })
      .strict()
      .nullable(),
    breaking: z.boolean(),
    /** The lowest installed version that may upgrade to this one directly; null: any. */
    minimumVersion: Version.nullable(),
    hotfix: z.boolean(),
    /** Promotion rules broken on purpose (--allow), each with the maintainer's reason; absent when none. */
    exceptions: z
      .array(z.object({ rule: z.string().min(1), reason: z.string().min(1) }).strict())
      .min(1)
      .optional(),
    notes: z.string(),
    /**
     * Keyed by platform ("linux/amd64", or "any"), which is where an instance looks for its app
     * archive; a platform's further artifacts are keyed "<platform>:<kind>" (any:wheel, any:sdist).
     */
    artifacts: z.record(z.string(), ArtifactSchema),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

export const IndexEntrySchema = z
  .object({
    version: Version,
    commit: z.string().nullable(),
    buildTime: z.string(),
    security: z.enum(SEVERITIES).nullable(),
    breaking: z.boolean(),
    minimumVersion: Version.nullable(),
    hotfix: z.boolean(),
    /** TUF target path of the release manifest. */
    manifest: z.string(),
    yanked: z.object({ reason: z.string(), at: z.string() }).strict().nullable(),
  })
  .strict();
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

export const ChannelIndexSchema = z
  .object({
    schema: z.literal(1),
    channel: z.string(),
    updated: z.string(),
    /** Newest version first. */
    releases: z.array(IndexEntrySchema),
  })
  .strict();
export type ChannelIndex = z.infer<typeof ChannelIndexSchema>;

export const manifestPath = (channel: string, version: string): string => `${channel}/${version}/release.json`;
export const indexPath = (channel: string): string => `${channel}/index.json`;

/**
 * At fleet scale a channel's index is sharded: index.json lists shards, each holding the releases
 * from its `from` version up to the next shard's, in <channel>/index/<from>.json. A shard's range
 * never moves once made; a new release goes into the shard whose range holds it, and a shard that
 * grows past twice SHARD_SIZE is split. Adding a release therefore changes one shard and the list,
 * whatever the version scheme (a 0.x project that bumps the minor each release makes one line per
 * release), and an instance reads only the shards holding versions from its own upward.
 */
export const SHARD_SIZE = 100;

export const ChannelShardsSchema = z
  .object({
    schema: z.literal(2),
    channel: z.string(),
    updated: z.string(),
    /** Highest range first. */
    shards: z.array(
      z.object({ from: Version, path: z.string(), newest: Version, releases: z.number().int().nonnegative() }).strict(),
    ),
  })
  .strict();
export type ChannelShards = z.infer<typeof ChannelShardsSchema>;

/** The lowest version there is, the first shard's lower bound. */
export const LOWEST_VERSION = '0.0.0-0';

export const shardPath = (channel: string, from: string): string => `${channel}/index/${from}.json`;

/**
 * Assigns releases (any order) to shards: the existing ranges (`bounds`, ascending lower bounds)
 * stay; shards over twice SHARD_SIZE are split at SHARD_SIZE; empty ones go. Returns the shards,
 * lowest range first, each with its releases newest first.
 */
export function planShards(
  releases: readonly IndexEntry[],
  bounds: readonly string[],
  size = SHARD_SIZE,
): { from: string; releases: IndexEntry[] }[] {
  const asc = [...releases].sort((a, b) => semver.compare(a.version, b.version));
  const lows = bounds.length > 0 ? [LOWEST_VERSION, ...bounds.filter((b) => b !== LOWEST_VERSION)] : [LOWEST_VERSION];
  lows.sort((a, b) => semver.compare(a, b));
  const groups = lows.map((from) => ({ from, releases: [] as IndexEntry[] }));
  let g = 0;
  for (const r of asc) {
    while (g + 1 < groups.length && semver.gte(r.version, groups[g + 1]!.from)) g++;
    groups[g]!.releases.push(r);
  }
  const out: { from: string; releases: IndexEntry[] }[] = [];
  for (const group of groups) {
    if (group.releases.length === 0) continue; // emptied (pruned): the range goes with it
    if (group.releases.length <= 2 * size) out.push(group);
    else
      for (let i = 0; i < group.releases.length; i += size)
        out.push({
          from: i === 0 ? group.from : group.releases[i]!.version,
          releases: group.releases.slice(i, i + size),
        });
  }
  for (const o of out) o.releases.reverse();
  return out;
}

const OS = '(linux|darwin|macos|windows|freebsd)';
const ARCH = '(amd64|x86_64|x64|arm64|aarch64|armv7|arm|386|i386|riscv64|s390x|ppc64le)';
const ARCH_ALIAS: Record<string, string> = {
  x86_64: 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  i386: '386',
  armv7: 'arm',
};

/** The platform an artifact's name says it is for: app-linux-amd64.tar.gz → linux/amd64; otherwise "any". */
export function platformOf(name: string): string {
  const m = new RegExp(`(?:^|[-_.])${OS}[-_]${ARCH}(?:[-_.]|$)`, 'i').exec(name);
  if (!m) return 'any';
  const os = m[1]!.toLowerCase() === 'macos' ? 'darwin' : m[1]!.toLowerCase();
  const arch = m[2]!.toLowerCase();
  return `${os}/${ARCH_ALIAS[arch] ?? arch}`;
}

/**
 * The key of an artifact in a manifest: the bare platform for an app archive, or for the only
 * artifact of its platform (where instances and older manifests look); "<platform>:<kind>" else.
 */
export function artifactKey(
  a: { platform: string; kind: ArtifactKind },
  all: readonly { platform: string; kind: ArtifactKind }[],
): string {
  const same = all.filter((o) => o.platform === a.platform);
  if (a.kind === 'app' || (same.length === 1 && !same.some((o) => o.kind === 'app'))) return a.platform;
  return `${a.platform}:${a.kind}`;
}

/** Parses a feed document with its schema; an error says which document, where and what was expected. */
export function parseDocument<T>(schema: z.ZodType<T>, text: string, what: string): T {
  return parseJsonDocument(schema, text, { where: what, kind: 'what Slipway writes', code: 'FEED_INVALID' });
}

export function indexEntry(m: Manifest, path: string): IndexEntry {
  return {
    version: m.version,
    commit: m.commit,
    buildTime: m.buildTime,
    security: m.security?.severity ?? null,
    breaking: m.breaking,
    minimumVersion: m.minimumVersion,
    hotfix: m.hotfix,
    manifest: path,
    yanked: null,
  };
}

export function sortIndex(entries: IndexEntry[]): IndexEntry[] {
  return entries.sort((a, b) => semver.rcompare(a.version, b.version));
}

/** The channels an instance on `channel` sees: it and every more stable one (the list runs least → most stable). */
export function visibleChannels(channels: readonly string[], channel: string): string[] {
  const i = channels.indexOf(channel);
  if (i < 0) throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${channel}" is not one of ${channels.join(', ')}`);
  return channels.slice(i);
}

export interface Candidate extends IndexEntry {
  channel: string;
}

export interface Selection {
  /** The release to install, or null when the instance is up to date. */
  target: Candidate | null;
  /** The newest release the channel offers (may need a stepping stone first). */
  newest: Candidate | null;
  /** Set when `target` is a stepping stone because the newest one needs a newer starting version. */
  steppingStone: boolean;
  /** Releases between current and target that are security fixes (the highest severity wins). */
  security: Severity | null;
  /** Releases newer than current that were yanked, with why. */
  yanked: Candidate[];
}

/** Severities in order (none is lowest), for "the highest severity wins". */
export const severityRank = (s: Severity | null): number => (s === null ? -1 : SEVERITIES.indexOf(s));

/**
 * Picks what an instance at `current` should install from the indexes of the channels it sees:
 * the highest version it may upgrade to directly, never a yanked one, never a downgrade.
 * `current` null means a fresh install. Pure: the caller reads the indexes.
 */
export function selectUpdate(indexes: readonly ChannelIndex[], current: string | null): Selection {
  const byVersion = new Map<string, Candidate>();
  for (const index of indexes) {
    for (const e of index.releases) {
      const seen = byVersion.get(e.version);
      // The same version listed on two channels: a yank on either withdraws it.
      if (!seen || (e.yanked && !seen.yanked)) byVersion.set(e.version, { ...e, channel: index.channel });
    }
  }
  const newer = [...byVersion.values()]
    .filter((c) => current === null || semver.gt(c.version, current))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  const yanked = newer.filter((c) => c.yanked !== null);
  const live = newer.filter((c) => c.yanked === null);
  const newest = live[0] ?? null;
  const reachable = live.filter(
    (c) => current === null || c.minimumVersion === null || semver.gte(current, c.minimumVersion),
  );
  const target = reachable[0] ?? null;
  let security: Severity | null = null;
  if (target) {
    for (const c of live)
      if (semver.lte(c.version, target.version) && severityRank(c.security) > severityRank(security))
        security = c.security;
  }
  return {
    target,
    newest,
    steppingStone: target !== null && newest !== null && target.version !== newest.version,
    security,
    yanked,
  };
}

/** Finds a version in the indexes for `update --version` / install of a given version. */
export function findRelease(indexes: readonly ChannelIndex[], version: string): Candidate | null {
  const clean = semver.valid(version.replace(/^v/, ''));
  if (clean === null)
    throw new SlipwayError('INVALID_VERSION', `"${version}" is not a semantic version; expected something like v1.2.3`);
  for (const index of indexes) {
    const e = index.releases.find((r) => r.version === clean);
    if (e) return { ...e, channel: index.channel };
  }
  return null;
}
