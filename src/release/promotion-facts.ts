import type { CommitFacts } from '../core/release/promotion.ts';
import { branchesContaining, refExists, tagsMergedInto } from '../git/refs.ts';
import { isAncestor } from '../git/repo.ts';

/** Gathers what the promotion rules need to know about a commit, from the repository it was built in. */
export async function commitFacts(root: string, commit: string, mainBranch: string): Promise<CommitFacts> {
  let onMainBranch = false;
  for (const ref of [`refs/heads/${mainBranch}`, `refs/remotes/origin/${mainBranch}`]) {
    if ((await refExists(root, ref)) && (await isAncestor(root, commit, ref))) {
      onMainBranch = true;
      break;
    }
  }
  const [branches, mergedTags] = await Promise.all([branchesContaining(root, commit), tagsMergedInto(root, commit)]);
  return { commit, onMainBranch, branches, mergedTags };
}
