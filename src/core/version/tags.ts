import semver from 'semver';
import { SlipwayError } from '../errors.ts';
import { fromPep440 } from './pep440.ts';

export interface ReleaseTag {
  name: string;
  version: string;
  commit: string;
  date: string;
}

/** "v1.2.3" -> "1.2.3"; null unless the name is exactly the prefix and a semantic version. */
export function versionFromTag(name: string, prefix: string): string | null {
  if (!name.startsWith(prefix)) return null;
  const rest = name.slice(prefix.length);
  const version = semver.valid(rest);
  // semver.valid accepts "v1.2.3" and "=1.2.3"; a release tag must be exactly prefix + version.
  return version !== null && version === rest.replace(/\+.*$/, '') ? version : null;
}

export interface TagClassification {
  /** Release tags, highest version first. */
  releases: ReleaseTag[];
  /** Tags with the prefix whose rest is not a semantic version (listed with --verbose). */
  skipped: string[];
  /** Tags that are semantic versions without the prefix (1.2.3 when the prefix is "v"): likely a wrong tagPrefix. */
  unprefixed: string[];
}

/** Keeps the tags that are `<prefix><semver>`; the rest are skipped, never fatal. */
export function classifyTags(
  tags: readonly { name: string; commit: string; date: string }[],
  prefix: string,
): TagClassification {
  const releases: ReleaseTag[] = [];
  const skipped: string[] = [];
  const unprefixed: string[] = [];
  for (const t of tags) {
    if (!t.name.startsWith(prefix)) {
      if (versionFromTag(t.name, '') !== null || versionFromTag(t.name, 'v') !== null) unprefixed.push(t.name);
      continue;
    }
    const version = versionFromTag(t.name, prefix);
    if (version === null) {
      skipped.push(t.name);
      continue;
    }
    releases.push({ name: t.name, version, commit: t.commit, date: t.date });
  }
  return { releases: sortNewestFirst(releases), skipped, unprefixed };
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

/**
 * A version the user typed: 1.2.3, v1.2.3 or refs/tags/v1.2.3 (with the configured prefix).
 * Throws INVALID_VERSION naming the argument and an example.
 */
export function parseVersionArgument(text: string, prefix: string, what = 'the version'): string {
  const bare = text.replace(/^refs\/tags\//, '');
  const rest = bare.startsWith(prefix) ? bare.slice(prefix.length) : bare;
  // A Python project's tag may be spelled the PEP 440 way: v1.0.0b1 is 1.0.0-beta.1.
  const version = versionFromTag(rest, '') ?? fromPep440(rest);
  if (version === null) {
    throw new SlipwayError(
      'INVALID_VERSION',
      `${what} "${text}" is not a semantic version; expected something like 1.2.3, ${prefix}1.2.3 or (PEP 440) ${prefix}1.2.3b1`,
    );
  }
  return version;
}

/** The warning for tags that look like releases but lack the prefix, or null when there are none. */
export function unprefixedWarning(tags: TagClassification, prefix: string): string | null {
  if (tags.unprefixed.length === 0) return null;
  const shown = tags.unprefixed.slice(0, 3).join(', ') + (tags.unprefixed.length > 3 ? ', …' : '');
  const guess = tags.unprefixed.every((t) => t.startsWith('v')) ? 'v' : '';
  return `${tags.unprefixed.length} tag${tags.unprefixed.length === 1 ? '' : 's'} (${shown}) look${tags.unprefixed.length === 1 ? 's' : ''} like release${tags.unprefixed.length === 1 ? '' : 's'} but ${tags.unprefixed.length === 1 ? 'does' : 'do'} not start with the tag prefix "${prefix}", so ${tags.unprefixed.length === 1 ? 'it is' : 'they are'} ignored; if they are your releases, set "tagPrefix": "${guess}" in slipway.json`;
}
