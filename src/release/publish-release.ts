import { basename } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import {
  indexEntry,
  manifestPath,
  platformOf,
  type Artifact,
  type Manifest,
  type Severity,
} from '../core/feed/manifest.ts';
import { hashFile } from '../io/hash.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { checkArtifacts, type CheckedArtifact } from './check-artifact.ts';
import { checkVersion } from './locate.ts';

export interface ReleaseInfo {
  commit?: string | null;
  buildTime?: string;
  security?: { severity: Severity; advisory?: string | null } | null;
  breaking?: boolean;
  minimumVersion?: string | null;
  hotfix?: boolean;
  /** Rules broken on purpose (--allow), recorded in the manifest. */
  exceptions?: { rule: string; reason: string }[];
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
  /**
   * Skip reading the artifacts as an instance would (their kinds are then not recorded). Only for
   * tests that must build a hostile or byte-level feed; `slipway publish` always checks.
   */
  unchecked?: boolean;
  /** The artifacts as checkArtifacts judged them already (publish's plan), so they are not read twice. */
  checked?: Awaited<ReturnType<typeof checkArtifacts>>;
}

export interface PublishResult {
  changed: boolean;
  manifest: Manifest;
  targets: Artifact[];
}

/** Keys by platform alone, as before kinds, without reading the files (see PublishOptions.unchecked). */
function uncheckedArtifacts(files: readonly string[]): { file: string; checked: CheckedArtifact; key: string }[] {
  const seen = new Map<string, string>();
  return files.map((file) => {
    const name = basename(file);
    const platform = platformOf(name);
    const other = seen.get(platform);
    if (other !== undefined) throw new SlipwayError('USAGE', `${other} and ${name} are both for ${platform}`);
    seen.set(platform, name);
    return { file, checked: { name, platform, kind: 'app' }, key: platform };
  });
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
  // Each artifact read as an instance (or pip) will read it, then hashed; all before the lock.
  const artifacts: Record<string, Artifact> = {};
  const hashed: { file: string; artifact: Artifact }[] = [];
  const planned = options.unchecked
    ? uncheckedArtifacts(options.files)
    : (options.checked ?? (await checkArtifacts(options.files, version)));
  for (const { file, checked: c, key } of planned) {
    const name = c.name;
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
      platform: c.platform,
      ...(options.unchecked ? {} : { kind: c.kind }),
      path: `${options.channel}/${version}/${name}`,
      sha256: h.sha256,
      length: h.length,
      ...(c.unpackedSize !== undefined ? { unpackedSize: c.unpackedSize, entries: c.entries } : {}),
    };
    artifacts[key] = artifact;
    hashed.push({ file, artifact });
  }
  // Hashed above, outside the lock; what follows reads and changes the feed, one publisher at a time.
  return changeFeed(store, async (session) => {
    await session.role(options.channel);
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
      ...(options.exceptions && options.exceptions.length > 0 ? { exceptions: options.exceptions } : {}),
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
  });
}
