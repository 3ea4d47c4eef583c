import semver from 'semver';
import { parseCommit } from '../core/commit/parse.ts';
import { isDependencyUpdate, type ResolvedConfig } from '../core/config/schema.ts';
import type { ChannelIndex } from '../core/feed/manifest.ts';
import { globToRegExp, type CommitFacts, type HotfixCommit } from '../core/release/promotion.ts';
import { versionFromTag } from '../core/version/tags.ts';
import { readCommits } from '../git/log.ts';
import { branchesContaining, refExists, resolveCommit, tagsMergedInto } from '../git/refs.ts';
import { isAncestor } from '../git/repo.ts';
import { diffStat, filesChanged } from '../git/write.ts';

/** A release commit as `release.commitMessage` writes it: chore(release): v{version} → /^chore\(release\): v.+$/. */
export function releaseCommitPattern(template: string): RegExp {
  const parts = template.split(/\{(?:version|tag)\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
}

/** The commits on a hotfix branch since the stable tag it was cut from, and the diff stat. */
async function hotfixLane(
  root: string,
  commit: string,
  config: ResolvedConfig,
  branch: string,
  version: string,
  mergedTags: readonly string[],
): Promise<CommitFacts['hotfix']> {
  let from: { tag: string; version: string } | null = null;
  for (const tag of mergedTags) {
    const v = versionFromTag(tag, config.tagPrefix);
    if (v === null || semver.prerelease(v) !== null || semver.major(v) !== semver.major(version)) continue;
    if (semver.minor(v) !== semver.minor(version) || !semver.lt(v, version)) continue;
    if (from === null || semver.gt(v, from.version)) from = { tag, version: v };
  }
  if (from === null) return null;
  const tagSha = await resolveCommit(root, from.tag);
  if (tagSha === null) return null;
  const routine = releaseCommitPattern(config.release.commitMessage);
  const commits: HotfixCommit[] = [];
  await readCommits(root, { revisions: [commit, `^${tagSha}`] }, (raw) => {
    if (raw.parents.length > 1) return; // a merge brings in commits listed on their own
    const c = parseCommit(raw);
    commits.push({
      shortSha: c.shortSha,
      type: c.type,
      header: c.header,
      routine: routine.test(c.header) || isDependencyUpdate(c, config),
    });
  });
  return { branch, tag: from.tag, commits, diffStat: await diffStat(root, tagSha, commit) };
}

/**
 * Gathers what the promotion rules need to know about a commit, from the repository it was built
 * in: the branches and tags, for a stable release the files changed since each beta of the same
 * X.Y.Z, and on a hotfix branch the lane's commits since its stable tag.
 */
export async function commitFacts(
  root: string,
  commit: string,
  config: ResolvedConfig,
  release: { version: string; previous: ChannelIndex | null },
): Promise<CommitFacts> {
  const { mainBranch, hotfixBranches } = config.feed;
  let onMainBranch = false;
  for (const ref of [`refs/heads/${mainBranch}`, `refs/remotes/origin/${mainBranch}`]) {
    if ((await refExists(root, ref)) && (await isAncestor(root, commit, ref))) {
      onMainBranch = true;
      break;
    }
  }
  const [branches, mergedTags] = await Promise.all([branchesContaining(root, commit), tagsMergedInto(root, commit)]);
  const sinceBetas: Record<string, string[] | null> = {};
  const core = semver.coerce(release.version)?.version;
  for (const r of release.previous?.releases ?? []) {
    if (r.commit === null || r.commit === commit || semver.coerce(r.version)?.version !== core) continue;
    if ((await resolveCommit(root, r.commit)) === null) sinceBetas[r.commit] = null;
    else
      sinceBetas[r.commit] = (await isAncestor(root, r.commit, commit))
        ? await filesChanged(root, r.commit, commit)
        : null;
  }
  const pattern = globToRegExp(hotfixBranches);
  const hotfixBranch = branches.find((b) => pattern.test(b));
  const hotfix =
    hotfixBranch === undefined || semver.prerelease(release.version) !== null
      ? null
      : await hotfixLane(root, commit, config, hotfixBranch, release.version, mergedTags);
  return { commit, onMainBranch, branches, mergedTags, sinceBetas, hotfix };
}
