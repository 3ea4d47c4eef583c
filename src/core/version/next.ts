import semver from 'semver';
import type { ParsedCommit } from '../commit/types.ts';
import type { Bump, ResolvedConfig } from '../config/schema.ts';
import { SlipwayError } from '../errors.ts';
import { decideBump, selectCommits, type CommitSelection } from './bump.ts';
import { nightlyVersion, nextPrereleaseNumber, prereleaseChannelsAbove } from './prerelease.ts';

export interface VersionPlanInput {
  config: ResolvedConfig;
  channel: string;
  /** The highest stable version reachable from HEAD, or null when there is none. */
  base: string | null;
  /** The highest version reachable from HEAD on this channel or a more stable one. */
  current: string | null;
  /** Commits since `base` (whole history when null), newest first. */
  commits: readonly ParsedCommit[];
  /**
   * For a prerelease channel: the shas since `current` when it is a prerelease tag, to tell
   * whether anything new landed since it. Null when `current` is `base`.
   */
  sinceCurrent: ReadonlySet<string> | null;
  /** Every release version that has a tag, reachable or not: prerelease numbers never repeat. */
  existing: readonly string[];
  /** `--release-as`, which wins over a `Release-As:` footer. */
  releaseAs: string | null;
  head: { sha: string; time: number } | null;
  /**
   * The highest prerelease (not nightly) reachable from HEAD above `base`: a prerelease line
   * started with --release-as 1.0.0 is remembered, so stable never plans below 1.0.0-beta.N.
   */
  prereleaseLine?: string | null;
  /** A maintenance branch's line (1.x: {major: 1}; 1.4.x: {major: 1, minor: 4}), which the version must stay in. */
  line?: { branch: string; major: number; minor: number | null } | null;
}

export interface VersionPlan {
  channel: string;
  current: string | null;
  base: string | null;
  next: string | null;
  bump: Bump | null;
  releaseAs: string | null;
  selection: CommitSelection;
  deciding: ParsedCommit[];
  /** A one-line answer to "why this version?". */
  reason: string;
  /** Versions passed over because a tag has them already (on another branch, say). */
  taken: string[];
}

function checkChannel(config: ResolvedConfig, channel: string): void {
  if (!config.channels.includes(channel)) {
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${channel}" is not configured; expected one of ${config.channels.join(', ')} (see "channels" in slipway.json)`,
    );
  }
}

function applyBump(base: string, bump: Bump): string {
  return semver.inc(base, bump)!;
}

/** Decides the next version on a channel from the commits since the last release. */
export function planVersion(input: VersionPlanInput): VersionPlan {
  const { config, channel, base } = input;
  checkChannel(config, channel);
  const baseMajor = base === null ? null : semver.major(base);
  const selection = selectCommits(input.commits);
  const decision = decideBump(selection.included, config, baseMajor);
  const releaseAs = input.releaseAs ?? decision.releaseAs;
  const taken: string[] = [];
  const plan = (next: string | null, reason: string): VersionPlan => ({
    channel,
    current: input.current,
    base,
    next,
    bump: next === null ? null : bumpBetween(base, next, decision.bump),
    releaseAs,
    selection,
    deciding: decision.deciding,
    reason,
    taken,
  });

  // The version the next stable release will carry.
  let target: string | null;
  let reason: string;
  if (releaseAs !== null) {
    const v = semver.valid(releaseAs.replace(/^v/, ''));
    if (v === null) {
      throw new SlipwayError(
        'INVALID_RELEASE_AS',
        `Release-As "${releaseAs}" is not a semantic version; expected something like 1.0.0`,
      );
    }
    if (base !== null && !semver.gt(v, base)) {
      throw new SlipwayError(
        'RELEASE_AS_NOT_GREATER',
        `Release-As ${v} is not greater than the current release ${base}; pick a higher version or drop the Release-As footer`,
      );
    }
    target = v;
    reason = input.releaseAs !== null ? `--release-as ${v}` : `Release-As: ${v} footer`;
  } else if (decision.bump === null) {
    const pre = input.prereleaseLine ?? null;
    if (
      channel === config.stableChannel &&
      pre !== null &&
      semver.prerelease(pre) !== null &&
      (base === null || semver.gt(pre, base))
    ) {
      const core = `${semver.major(pre)}.${semver.minor(pre)}.${semver.patch(pre)}`;
      return plan(core, `graduates the ${core} prerelease line of ${pre}`);
    }
    return plan(
      null,
      selection.included.length === 0
        ? 'no conventional commits since the last release'
        : 'no commit in range warrants a release',
    );
  } else if (base === null) {
    target = config.initialVersion;
    reason = `first release (initialVersion ${config.initialVersion})`;
  } else {
    target = applyBump(base, decision.bump);
    reason = `${decision.bump} bump from ${base}${baseMajor === 0 && decision.deciding.some((c) => c.breaking) ? ' (breaking changes bump the minor below 1.0.0)' : ''}`;
  }
  // A prerelease already cut for a later core version (by Release-As, say) keeps its target.
  for (const pre of [input.current, input.prereleaseLine ?? null]) {
    if (pre === null || semver.prerelease(pre) === null) continue;
    const core = `${semver.major(pre)}.${semver.minor(pre)}.${semver.patch(pre)}`;
    if (semver.gt(core, target) && semver.prerelease(target) === null) {
      target = core;
      reason = `${reason}; continues the ${core} prerelease line of ${pre}`;
    }
  }
  // Never a version some tag has already (a hotfix branch may have taken the next patch).
  const stableTaken = new Set(input.existing.filter((v) => semver.prerelease(v) === null));
  if (semver.prerelease(target) === null) {
    const level: Bump =
      semver.patch(target) !== 0
        ? 'patch'
        : semver.minor(target) !== 0 || semver.major(target) === 0
          ? 'minor'
          : 'major';
    for (let i = 0; stableTaken.has(target) && i < 10_000; i++) {
      taken.push(target);
      target = applyBump(target, level);
    }
    if (taken.length > 0)
      reason = `${reason}; ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} tagged already, so ${target}`;
  }
  const line = input.line ?? null;
  if (
    line !== null &&
    (semver.major(target) !== line.major || (line.minor !== null && semver.minor(target) !== line.minor))
  ) {
    const want = line.minor === null ? `${line.major}.x.y` : `${line.major}.${line.minor}.x`;
    const by = decision.deciding[0];
    throw new SlipwayError(
      'OUTSIDE_LINE',
      `${line.branch} releases only ${want} versions, but the commits make ${target}${by ? ` (${by.shortSha} "${by.header}")` : ''}; release that change from ${config.feed.mainBranch}, or revert it on ${line.branch}`,
    );
  }

  if (channel === config.stableChannel || semver.prerelease(target) !== null) return plan(target, reason);

  // Prerelease channels: nothing new since the last prerelease on this channel means no release.
  if (input.sinceCurrent !== null && releaseAs === null) {
    const fresh = selection.included.filter((c) => input.sinceCurrent!.has(c.sha));
    if (decideBump(fresh, config, baseMajor).bump === null) {
      return plan(null, `nothing that warrants a release since ${input.current}`);
    }
  }
  if (channel === 'nightly') {
    if (input.head === null) return plan(null, 'the repository has no commits');
    const anchors = prereleaseChannelsAbove(config.channels, channel, config.stableChannel);
    const v = nightlyVersion({
      target,
      anchorChannel: anchors[0] ?? null,
      existing: input.existing,
      head: input.head,
      distance: input.commits.length,
    });
    return plan(v, `${reason}; nightly build of ${input.head.sha.slice(0, 7)}`);
  }
  const n = nextPrereleaseNumber(target, channel, input.existing);
  return plan(`${target}-${channel}.${n}`, `${reason}; ${channel} ${n} of ${target}`);
}

function bumpBetween(base: string | null, next: string, decided: Bump | null): Bump | null {
  if (base === null) return decided;
  const diff = semver.diff(base, next);
  if (diff === 'major' || diff === 'premajor') return 'major';
  if (diff === 'minor' || diff === 'preminor') return 'minor';
  if (diff === 'patch' || diff === 'prepatch' || diff === 'prerelease') return 'patch';
  return decided;
}
