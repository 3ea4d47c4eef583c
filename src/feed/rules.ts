import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import { versionFromTag } from '../core/version/tags.ts';
import { isAncestor } from '../git/repo.ts';
import { runGit } from '../git/run.ts';
import { listTags } from '../git/tags.ts';
import type { FeedSession } from './repository.ts';

/**
 * The promotion rules of the server panel strategy, checked before a release enters a channel:
 * a release on a channel between the first and the stable one (beta) is built from a commit on
 * the main branch; stable X.Y.Z was published as X.Y.Z-beta.N of the same commit first; a hotfix
 * (a commit on a hotfix/* branch cut from a stable tag) is the one exception, and is marked.
 */
export interface RuleContext {
  channels: readonly string[];
  mainBranch: string;
  hotfixBranches: string;
  tagPrefix: string;
  /** The repository the release was built from; null when not run inside it. */
  repoRoot: string | null;
}

export interface RuleVerdict {
  hotfix: boolean;
  /** One line per rule checked, for --verbose / --json. */
  checks: string[];
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

async function branchesContaining(root: string, commit: string): Promise<string[]> {
  const r = await runGit(root, [
    'for-each-ref',
    '--contains',
    commit,
    '--format=%(refname)',
    'refs/heads',
    'refs/remotes',
  ]);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((ref) => ref.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\/[^/]+\//, ''));
}

async function onMain(root: string, commit: string, main: string): Promise<boolean> {
  for (const ref of [`refs/heads/${main}`, `refs/remotes/origin/${main}`]) {
    const exists = await runGit(root, ['rev-parse', '--verify', '-q', ref], { okStatuses: [0, 1] });
    if (exists.status === 0 && (await isAncestor(root, commit, ref))) return true;
  }
  return false;
}

/** A hotfix: on a branch matching the hotfix pattern, and a patch release of a stable tag that is an ancestor of the commit. */
async function hotfixOf(ctx: RuleContext, commit: string, version: string): Promise<string | null> {
  if (ctx.repoRoot === null) return null;
  const pattern = glob(ctx.hotfixBranches);
  const branch = (await branchesContaining(ctx.repoRoot, commit)).find((b) => pattern.test(b));
  if (!branch) return null;
  for (const tag of await listTags(ctx.repoRoot)) {
    const v = versionFromTag(tag.name, ctx.tagPrefix);
    if (v === null || semver.prerelease(v) !== null) continue;
    if (
      semver.major(v) === semver.major(version) &&
      semver.minor(v) === semver.minor(version) &&
      semver.lt(v, version) &&
      (await isAncestor(ctx.repoRoot, tag.commit, commit))
    ) {
      return `${commit.slice(0, 7)} is on ${branch}, cut from stable tag ${tag.name}`;
    }
  }
  return null;
}

export async function checkPromotion(
  ctx: RuleContext,
  session: FeedSession,
  release: { version: string; channel: string; commit: string | null },
): Promise<RuleVerdict> {
  const i = ctx.channels.indexOf(release.channel);
  if (i < 0)
    throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${release.channel}" is not one of ${ctx.channels.join(', ')}`);
  const checks: string[] = [];
  if (i === 0) return { hotfix: false, checks: [`${release.channel} takes any build`] };
  const stable = i === ctx.channels.length - 1;
  const needCommit = (): string => {
    if (release.commit === null)
      throw new SlipwayError(
        'PROMOTION_RULE',
        `a release on ${release.channel} must name the commit it was built from (the promotion rules check it); run in the repository, or pass --commit <sha> --cwd <repository>; to publish without the rules, set "feed": { "enforcePromotion": false } in slipway.json`,
      );
    return release.commit;
  };
  const commit = needCommit();
  const hotfix = async (): Promise<string | null> =>
    semver.prerelease(release.version) === null ? hotfixOf(ctx, commit, release.version) : null;

  if (!stable) {
    if (ctx.repoRoot === null)
      throw new SlipwayError(
        'PROMOTION_RULE',
        `checking that ${release.version} was built from ${ctx.mainBranch} needs the repository; run in it or pass --cwd`,
      );
    if (await onMain(ctx.repoRoot, commit, ctx.mainBranch))
      return { hotfix: false, checks: [`${commit.slice(0, 7)} is on ${ctx.mainBranch}`] };
    const hf = await hotfix();
    if (hf) return { hotfix: true, checks: [hf] };
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${release.version} was built from ${commit.slice(0, 7)}, which is not on ${ctx.mainBranch}; every ${release.channel} release is built from ${ctx.mainBranch}`,
    );
  }

  if (semver.prerelease(release.version) !== null) {
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${release.version} is a prerelease; ${release.channel} takes only X.Y.Z versions (publish it on ${ctx.channels[i - 1]} instead)`,
    );
  }
  const previous = ctx.channels[i - 1]!;
  const index = await session.index(previous);
  const base = `${semver.major(release.version)}.${semver.minor(release.version)}.${semver.patch(release.version)}`;
  const betas = index.releases.filter(
    (r) =>
      semver.prerelease(r.version) !== null &&
      !r.version.includes('nightly') &&
      semver.coerce(r.version)?.version === base,
  );
  const match = betas.find((r) => r.commit === commit && r.yanked === null);
  if (match) {
    checks.push(`${match.version} of ${commit.slice(0, 7)} is on ${previous}`);
    return { hotfix: false, checks };
  }
  const hf = await hotfix();
  if (hf) return { hotfix: true, checks: [hf, 'hotfix: beta skipped'] };
  const seen =
    betas.length === 0
      ? `no ${base}-* is published on ${previous}`
      : `on ${previous}: ${betas.map((b) => `${b.version} (${b.commit?.slice(0, 7) ?? 'no commit'}${b.yanked ? ', yanked' : ''})`).join(', ')}`;
  throw new SlipwayError(
    'PROMOTION_RULE',
    `stable ${release.version} needs a ${previous} release ${base}-beta.N of the same commit (${commit.slice(0, 7)}) first; ${seen}. Publish a ${previous} of this commit, or release from a ${ctx.hotfixBranches} branch cut from a stable tag.`,
  );
}
