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
  /** Files a release commit touches (version files, the changelog): the only difference allowed between a beta's commit and its stable's. */
  releaseFiles?: readonly string[];
  /** Commit types a hotfix may carry since its stable tag (default fix, security, perf, revert). */
  hotfixTypes?: readonly string[];
}

/** A commit on a hotfix branch since the stable tag it was cut from. */
export interface HotfixCommit {
  shortSha: string;
  type: string | null;
  header: string;
  /** A release commit (chore(release): …) or a dependency update: always allowed. */
  routine: boolean;
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
  /** Per beta commit of the same X.Y.Z: the files changed from it to this commit, or null when it is not an ancestor. */
  sinceBetas?: Readonly<Record<string, readonly string[] | null>>;
  /** On a hotfix branch: the stable tag it was cut from, the commits since and the diff stat. */
  hotfix?: { branch: string; tag: string; commits: readonly HotfixCommit[]; diffStat: string } | null;
}

export interface PromotionRequest {
  version: string;
  channel: string;
  /** The commit the release was built from, when known. */
  commit: string | null;
  /** `--allow <reason>`: take a release that breaks a rule; the reason goes into the manifest. */
  allow?: string | null;
}

/** A rule broken on purpose, with the maintainer's reason: recorded in the signed manifest. */
export interface PromotionException {
  rule: string;
  reason: string;
}

export interface PromotionVerdict {
  hotfix: boolean;
  /** One line per rule checked, for --verbose / --json. */
  checks: string[];
  /** For the one reviewer of a hotfix: the diff stat since the stable tag. */
  review?: string;
  exceptions?: PromotionException[];
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * A hotfix: on a branch matching the hotfix pattern, a patch release of the stable tag it was
 * cut from, and carrying only fixes since that tag (the types in policy.hotfixTypes; release
 * commits and dependency updates are routine). Returns null when the commit is not on a hotfix
 * branch cut from a tag of this line; throws HOTFIX_RULE when it is and breaks the lane's rule,
 * unless `allow` gives a reason.
 */
function hotfixOf(
  policy: PromotionPolicy,
  facts: CommitFacts,
  version: string,
  allow: string | null,
): PromotionVerdict | null {
  const pattern = globToRegExp(policy.hotfixBranches);
  const branch = facts.branches.find((b) => pattern.test(b));
  if (!branch) return null;
  let from: { tag: string; version: string } | null = null;
  for (const tag of facts.mergedTags) {
    const v = versionFromTag(tag, policy.tagPrefix);
    if (v === null || semver.prerelease(v) !== null) continue;
    if (
      semver.major(v) !== semver.major(version) ||
      semver.minor(v) !== semver.minor(version) ||
      !semver.lt(v, version)
    )
      continue;
    if (from === null || semver.gt(v, from.version)) from = { tag, version: v };
  }
  if (from === null) return null;
  const checks = [`${facts.commit.slice(0, 7)} is on ${branch}, cut from stable tag ${from.tag}`];
  const lane = facts.hotfix && facts.hotfix.tag === from.tag ? facts.hotfix : null;
  const broken: string[] = [];
  const next = semver.inc(from.version, 'patch')!;
  if (semver.gt(version, next)) broken.push(`${version} skips patches: the next patch of ${from.tag} is ${next}`);
  if (lane !== null) {
    const types = policy.hotfixTypes ?? ['fix', 'security', 'perf', 'revert'];
    const foreign = lane.commits.filter((c) => !c.routine && (c.type === null || !types.includes(c.type)));
    if (foreign.length > 0)
      broken.push(
        `a hotfix carries only ${types.join('/')} commits, and ${foreign.length} since ${from.tag} ${foreign.length === 1 ? 'is' : 'are'} not: ${foreign
          .slice(0, 5)
          .map((c) => `${c.shortSha} "${c.header}"`)
          .join(', ')}${foreign.length > 5 ? ', …' : ''}`,
      );
    else checks.push(`${lane.commits.length} commit(s) since ${from.tag}, all ${types.join('/')} or routine`);
  }
  const review = lane?.diffStat;
  if (broken.length > 0 && (allow === null || allow.trim() === ''))
    throw new SlipwayError(
      'HOTFIX_RULE',
      `${version} on ${branch} is not a hotfix the lane takes: ${broken.join('; ')}.${review ? `\nChanges since ${from.tag}:\n${review}` : ''}\nRelease the rest from ${policy.mainBranch}, or pass --allow "<reason>" (recorded in the manifest).`,
    );
  if (broken.length > 0) {
    checks.push(`allowed: ${allow!} (${broken.join('; ')})`);
    return { hotfix: true, checks, ...(review ? { review } : {}), exceptions: [{ rule: 'hotfix', reason: allow! }] };
  }
  return { hotfix: true, checks, ...(review ? { review } : {}) };
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
  const allow = release.allow ?? null;
  const hotfix = (): PromotionVerdict | null =>
    facts !== null && semver.prerelease(release.version) === null
      ? hotfixOf(policy, facts, release.version, allow)
      : null;

  if (!stable) {
    if (facts === null)
      throw new SlipwayError(
        'PROMOTION_RULE',
        `checking that ${release.version} was built from ${policy.mainBranch} needs the repository; run in it or pass --cwd`,
      );
    if (facts.onMainBranch) return { hotfix: false, checks: [`${commit.slice(0, 7)} is on ${policy.mainBranch}`] };
    const hf = hotfix();
    if (hf) return hf;
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
  // The stable's own release commit (version files, changelog) is the only difference allowed.
  const allowed = new Set(policy.releaseFiles ?? []);
  for (const b of betas) {
    if (b.yanked !== null || b.commit === null) continue;
    const changed = facts?.sinceBetas?.[b.commit];
    if (changed === undefined || changed === null) continue;
    const other = changed.filter((f) => !allowed.has(f));
    if (other.length === 0)
      return {
        hotfix: false,
        checks: [
          `${b.version} of ${b.commit.slice(0, 7)} is on ${below}; ${commit.slice(0, 7)} differs from it only by a release commit (${changed.length === 0 ? 'no files' : changed.join(', ')})`,
        ],
      };
  }
  const hf = hotfix();
  if (hf) return { ...hf, checks: [...hf.checks, 'hotfix: beta skipped'] };
  const seen =
    betas.length === 0
      ? `no ${base}-* is published on ${below}`
      : `on ${below}: ${betas.map((b) => `${b.version} (${b.commit?.slice(0, 7) ?? 'no commit'}${b.yanked ? ', yanked' : ''})`).join(', ')}`;
  const near = betas
    .map((b) => ({ b, changed: b.commit === null ? null : (facts?.sinceBetas?.[b.commit] ?? null) }))
    .filter((x) => x.changed !== null)
    .map(
      (x) =>
        `since ${x.b.version}, ${x.changed!.filter((f) => !allowed.has(f)).join(', ')} changed beyond the release files`,
    );
  throw new SlipwayError(
    'PROMOTION_RULE',
    `stable ${release.version} needs a ${below} release ${base}-beta.N of the same commit (${commit.slice(0, 7)}), or of a commit that differs only by a release commit (${[...allowed].join(', ') || 'the version files and the changelog'}), first; ${seen}${near.length > 0 ? `; ${near.join('; ')}` : ''}. Publish a ${below} of this commit, or release from a ${policy.hotfixBranches} branch cut from a stable tag.`,
  );
}
