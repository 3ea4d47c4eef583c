import semver from 'semver';

/** Numbered prerelease channels more stable than `channel` (nearest first), stable excluded. */
export function prereleaseChannelsAbove(channels: readonly string[], channel: string, stable: string): string[] {
  const i = channels.indexOf(channel);
  return channels.slice(i + 1).filter((c) => c !== stable && c !== 'nightly');
}

/** 1.3.0-beta.1 and 1.3.0-beta.2 exist: the next beta of 1.3.0 is 3. Numbering restarts per target. */
export function nextPrereleaseNumber(target: string, channel: string, existing: readonly string[]): number {
  let max = 0;
  for (const v of existing) {
    const parsed = semver.parse(v);
    if (!parsed || `${parsed.major}.${parsed.minor}.${parsed.patch}` !== target) continue;
    const [id, n] = parsed.prerelease;
    if (id === channel && typeof n === 'number' && n > max) max = n;
  }
  return max + 1;
}

function utcDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

export interface NightlyInput {
  target: string;
  /** The nearest numbered prerelease channel (beta), whose numbering the nightly hangs off. */
  anchorChannel: string | null;
  existing: readonly string[];
  head: { sha: string; time: number };
  /** Commits since the last stable release: grows along the main branch, so nightlies sort in build order. */
  distance: number;
}

/**
 * A nightly sorts after the beta (or stable) it builds on and before the next beta:
 * 1.3.0-beta.2.nightly.20261122.41.gabc1234 sits between 1.3.0-beta.2 and 1.3.0-beta.3, and
 * before any beta of 1.3.0 it hangs off beta.0. It carries the date of the commit (so a rebuild
 * of the same commit gets the same version) and the short commit, prefixed with "g" as
 * `git describe` does so that it is never read as a number.
 */
export function nightlyVersion(input: NightlyInput): string {
  const stamp = `nightly.${utcDate(input.head.time)}.${input.distance}.g${input.head.sha.slice(0, 7)}`;
  if (input.anchorChannel === null) return `${input.target}-${stamp}`;
  const n = nextPrereleaseNumber(input.target, input.anchorChannel, input.existing) - 1;
  return `${input.target}-${input.anchorChannel}.${n}.${stamp}`;
}
