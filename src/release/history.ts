import type { RawCommit } from '../core/commit/types.ts';
import { SlipwayError } from '../core/errors.ts';
import { classifyTags, type ReleaseTag, type TagClassification } from '../core/version/tags.ts';
import { readCommits, type ReadCommitsOptions } from '../git/log.ts';
import { isAncestor, openRepository, requireFullHistory, type RepositoryInfo } from '../git/repo.ts';
import { listTags } from '../git/tags.ts';

export interface History {
  repo: RepositoryInfo;
  tags: TagClassification;
  /** Reads commits in a range, streaming. */
  read(options: ReadCommitsOptions, onCommit: (c: RawCommit) => void): Promise<number>;
  /** The highest release tag matching `accept` that HEAD reaches, or null. */
  latestReachable(accept: (t: ReleaseTag) => boolean): Promise<ReleaseTag | null>;
}

/**
 * Opens the repository for a history-reading command: full history required, tags classified.
 * `opened` is a repository the caller has opened already (saves the git calls).
 */
export async function openHistory(cwd: string, tagPrefix: string, opened?: RepositoryInfo): Promise<History> {
  const tagsRead = listTags(cwd);
  tagsRead.catch(() => undefined); // outside a repository, openRepository says so better
  const repo = opened ?? (await openRepository(cwd));
  const tagList = await tagsRead;
  requireFullHistory(repo);
  const tags = classifyTags(tagList, tagPrefix);
  const reachable = new Map<string, boolean>();
  return {
    repo,
    tags,
    read: (options, onCommit) => readCommits(repo.root, options, onCommit),
    async latestReachable(accept) {
      if (repo.head === null) return null;
      // Highest version first; the first reachable one is usually the first tried, so the cost
      // follows the distance to the last release, not the length of the history.
      for (const tag of tags.releases) {
        if (!accept(tag)) continue;
        let ok = reachable.get(tag.commit);
        if (ok === undefined) {
          ok = tag.commit === repo.head.sha || (await isAncestor(repo.root, tag.commit, repo.head.sha));
          reachable.set(tag.commit, ok);
        }
        if (ok) return tag;
      }
      return null;
    },
  };
}

export function requireCommits(
  history: History,
): asserts history is History & { repo: { head: NonNullable<RepositoryInfo['head']> } } {
  if (history.repo.head === null) {
    throw new SlipwayError(
      'EMPTY_REPOSITORY',
      `the repository at ${history.repo.root} has no commits yet; commit something first`,
    );
  }
}
