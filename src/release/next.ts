import { parseCommit } from '../core/commit/parse.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { planVersion, type VersionPlan } from '../core/version/next.ts';
import { channelOf, isNightly, isOnOrAbove } from '../core/version/tags.ts';
import { listShas } from '../git/repo.ts';
import type { RepositoryInfo } from '../git/repo.ts';
import { openHistory, requireCommits } from './history.ts';

export interface NextOptions {
  cwd: string;
  /** The repository, when the caller has opened it already. */
  repo?: RepositoryInfo;
  config: ResolvedConfig;
  channel: string;
  releaseAs: string | null;
}

export interface NextResult extends VersionPlan {
  tag: string | null;
  head: string;
  commitsRead: number;
  skippedTags: string[];
}

/** `slipway next`: reads only the commits since the last release and plans the version. */
export async function computeNext(options: NextOptions): Promise<NextResult> {
  const { config, channel } = options;
  const history = await openHistory(options.cwd, config.tagPrefix, options.repo);
  requireCommits(history);
  const head = history.repo.head;
  const stable = config.stableChannel;
  const baseTag = await history.latestReachable((t) => channelOf(t.version, stable) === stable);
  const currentTag =
    channel === stable
      ? baseTag
      : await history.latestReachable(
          (t) =>
            !isNightly(t.version) &&
            isOnOrAbove(t.version, channel === 'nightly' ? config.channels[0]! : channel, config.channels, stable),
        );

  const commits: ParsedCommit[] = [];
  const revisions = baseTag === null ? ['HEAD'] : ['HEAD', `^${baseTag.commit}`];
  const commitsRead = await history.read({ revisions }, (raw) => commits.push(parseCommit(raw)));
  const sinceCurrent =
    currentTag !== null && currentTag !== baseTag ? await listShas(history.repo.root, 'HEAD', currentTag.commit) : null;

  const plan = planVersion({
    config,
    channel,
    base: baseTag?.version ?? null,
    current: currentTag?.version ?? null,
    commits,
    sinceCurrent,
    existing: history.tags.releases.map((t) => t.version),
    releaseAs: options.releaseAs,
    head,
  });
  return {
    ...plan,
    tag: plan.next === null ? null : `${config.tagPrefix}${plan.next}`,
    head: head.sha,
    commitsRead,
    skippedTags: history.tags.skipped,
  };
}
