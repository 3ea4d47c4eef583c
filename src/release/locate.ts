import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import type { Manifest } from '../core/feed/manifest.ts';
import type { FeedSession } from '../feed/session.ts';

/** A semantic version (a leading v is dropped), or INVALID_VERSION. */
export function checkVersion(version: string): string {
  const v = semver.valid(version.replace(/^v/, ''));
  if (v === null)
    throw new SlipwayError('INVALID_VERSION', `"${version}" is not a semantic version; expected something like 1.2.3`);
  return v;
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
