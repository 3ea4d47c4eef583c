import semver from 'semver';
import { SlipwayError } from '../errors.ts';
import type { ChannelIndex } from '../feed/manifest.ts';
import { versionFromTag } from '../version/tags.ts';

/**
 * The promotion rules of the server panel strategy, checked before a release enters a channel:
 * a release on a channel between the first and the stable one (beta) is built from a commit on
 * the main branch; stable X.Y.Z was published as X.Y.Z-beta.N of the same commit first; a hotfix
 * (a commit on a hotfix/* branch cut from a stable tag) is the one exception, and is marked.
 * Pure: the git facts and the previous channel's index come in as data (release/promotion-facts.ts).
 */
export interface PromotionPolicy {
  channels: readonly string[];
  mainBranch: string;
  /** A glob over branch names, e.g. `hotfix/*`. */
  hotfixBranches: string;
  tagPrefix: string;
}

/** What git says about the commit a release was built from; null when not run inside its repository. */
export interface CommitFacts {
  commit: string;
  /** Whether the commit is on the main branch (local or origin's). */
  onMainBranch: boolean;
  /** The branches (local and remote-tracking, short names) that contain the commit. */
  branches: readonly string[];
  /** The tags reachable from the commit. */
  mergedTags: readonly string[];
}

export interface PromotionRequest {
  version: string;
  channel: string;
  /** The commit the release was built from, when known. */
  commit: string | null;
}

export interface PromotionVerdict {
  hotfix: boolean;
  /** One line per rule checked, for --verbose / --json. */
  checks: string[];
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A hotfix: on a branch matching the hotfix pattern, and a patch release of a stable tag that is an ancestor of the commit. */
function hotfixOf(policy: PromotionPolicy, facts: CommitFacts, version: string): string | null {
  const pattern = globToRegExp(policy.hotfixBranches);
  const branch = facts.branches.find((b) => pattern.test(b));
  if (!branch) return null;
  for (const tag of facts.mergedTags) {
    const v = versionFromTag(tag, policy.tagPrefix);
    if (v === null || semver.prerelease(v) !== null) continue;
    if (semver.major(v) === semver.major(version) && semver.minor(v) === semver.minor(version) && semver.lt(v, version))
      return `${facts.commit.slice(0, 7)} is on ${branch}, cut from stable tag ${tag}`;
  }
  return null;
}

/**
 * Judges a release against the rules. `facts` is null outside the repository; `previous` is the
 * index of the channel just below a stable one (needed only for a stable release).
 */
export function checkPromotion(
  policy: PromotionPolicy,
  release: PromotionRequest,
  facts: CommitFacts | null,
  previous: ChannelIndex | null,
): PromotionVerdict {
  const i = policy.channels.indexOf(release.channel);
  if (i < 0)
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${release.channel}" is not one of ${policy.channels.join(', ')}`,
    );
  if (i === 0) return { hotfix: false, checks: [`${release.channel} takes any build`] };
  const stable = i === policy.channels.length - 1;
  if (release.commit === null)
    throw new SlipwayError(
      'PROMOTION_RULE',
      `a release on ${release.channel} must name the commit it was built from (the promotion rules check it); run in the repository, or pass --commit <sha> --cwd <repository>; to publish without the rules, set "feed": { "enforcePromotion": false } in slipway.json`,
    );
  const commit = release.commit;
  const hotfix = (): string | null =>
    facts !== null && semver.prerelease(release.version) === null ? hotfixOf(policy, facts, release.version) : null;

  if (!stable) {
    if (facts === null)
      throw new SlipwayError(
        'PROMOTION_RULE',
        `checking that ${release.version} was built from ${policy.mainBranch} needs the repository; run in it or pass --cwd`,
      );
    if (facts.onMainBranch) return { hotfix: false, checks: [`${commit.slice(0, 7)} is on ${policy.mainBranch}`] };
    const hf = hotfix();
    if (hf) return { hotfix: true, checks: [hf] };
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${release.version} was built from ${commit.slice(0, 7)}, which is not on ${policy.mainBranch}; every ${release.channel} release is built from ${policy.mainBranch}`,
    );
  }

  if (semver.prerelease(release.version) !== null) {
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${release.version} is a prerelease; ${release.channel} takes only X.Y.Z versions (publish it on ${policy.channels[i - 1]} instead)`,
    );
  }
  const below = policy.channels[i - 1]!;
  const base = `${semver.major(release.version)}.${semver.minor(release.version)}.${semver.patch(release.version)}`;
  const betas = (previous?.releases ?? []).filter(
    (r) =>
      semver.prerelease(r.version) !== null &&
      !r.version.includes('nightly') &&
      semver.coerce(r.version)?.version === base,
  );
  const match = betas.find((r) => r.commit === commit && r.yanked === null);
  if (match) return { hotfix: false, checks: [`${match.version} of ${commit.slice(0, 7)} is on ${below}`] };
  const hf = hotfix();
  if (hf) return { hotfix: true, checks: [hf, 'hotfix: beta skipped'] };
  const seen =
    betas.length === 0
      ? `no ${base}-* is published on ${below}`
      : `on ${below}: ${betas.map((b) => `${b.version} (${b.commit?.slice(0, 7) ?? 'no commit'}${b.yanked ? ', yanked' : ''})`).join(', ')}`;
  throw new SlipwayError(
    'PROMOTION_RULE',
    `stable ${release.version} needs a ${below} release ${base}-beta.N of the same commit (${commit.slice(0, 7)}) first; ${seen}. Publish a ${below} of this commit, or release from a ${policy.hotfixBranches} branch cut from a stable tag.`,
  );
}
