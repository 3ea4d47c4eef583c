import semver from 'semver';

export interface ReleaseTag {
  name: string;
  version: string;
  commit: string;
  date: string;
}

export interface TagClassification {
  /** Release tags, highest version first. */
  releases: ReleaseTag[];
  /** Tags with the prefix whose rest is not a semantic version (listed with --verbose). */
  skipped: string[];
}

/** Keeps the tags that are `<prefix><semver>`; the rest are skipped, never fatal. */
export function classifyTags(tags: readonly { name: string; commit: string; date: string }[], prefix: string): TagClassification {
  const releases: ReleaseTag[] = [];
  const skipped: string[] = [];
  for (const t of tags) {
    if (!t.name.startsWith(prefix)) continue;
    const rest = t.name.slice(prefix.length);
    const version = semver.valid(rest);
    // semver.valid accepts "v1.2.3" and "=1.2.3"; a release tag must be exactly prefix + version.
    if (version === null || version !== rest.replace(/\+.*$/, '')) {
      skipped.push(t.name);
      continue;
    }
    releases.push({ name: t.name, version, commit: t.commit, date: t.date });
  }
  return { releases: sortNewestFirst(releases), skipped };
}

/** Sorts by version, highest first, parsing each version once (thousands of tags are common). */
export function sortNewestFirst<T extends { version: string }>(items: readonly T[]): T[] {
  return items
    .map((item) => ({ item, v: new semver.SemVer(item.version) }))
    .sort((a, b) => b.v.compare(a.v))
    .map(({ item }) => item);
}

export function isNightly(version: string): boolean {
  return (semver.prerelease(version) ?? []).includes('nightly');
}

/** The channel a version belongs to: stable without a prerelease, else its first identifier. */
export function channelOf(version: string, stable: string): string {
  const pre = semver.prerelease(version);
  if (pre === null) return stable;
  if (pre.includes('nightly')) return 'nightly';
  return String(pre[0]);
}

/** A release on `channel` or a more stable one (the order of `channels`) counts for that channel. */
export function isOnOrAbove(version: string, channel: string, channels: readonly string[], stable: string): boolean {
  const own = channels.indexOf(channelOf(version, stable));
  const wanted = channels.indexOf(channel);
  return own !== -1 && own >= wanted;
}
