import { parseCommit } from '../core/commit/parse.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { planVersion, type VersionPlan } from '../core/version/next.ts';
import { channelOf, isNightly, isOnOrAbove, unprefixedWarning } from '../core/version/tags.ts';
import semver from 'semver';
import { releaseMarkers, type ReleaseMarkers } from '../core/release/markers.ts';
import { branchesContaining } from '../git/refs.ts';
import { listShas } from '../git/repo.ts';
import type { RepositoryInfo } from '../git/repo.ts';
import { openHistory, requireCommits } from './history.ts';
import { withAdvisories } from './markers.ts';
import { readCommits } from '../git/log.ts';
import { removalsOf, unannounced, type Removal } from '../core/release/deprecation.ts';

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
  /** The tags of the versions passed over, and the branches that hold them. */
  takenBy: { tag: string; branches: string[] }[];
  /** The security and breaking markers, from the same commit analysis as notes and manifests. */
  markers: ReleaseMarkers;
  head: string;
  commitsRead: number;
  skippedTags: string[];
  /** Tags that look like releases without the configured prefix: a warning to show. */
  warnings: string[];
  /** Removals in this release that no earlier minor deprecated (the deprecation policy). */
  unannouncedRemovals: Removal[];
}

/**
 * The removals among `commits` that were not deprecated in a release at least
 * deprecation.minMinors minor lines below `version` (the deprecations reachable from that line's
 * newest stable tag).
 */
export async function unannouncedRemovalsOf(
  root: string,
  config: ResolvedConfig,
  version: string,
  commits: readonly ParsedCommit[],
  releases: readonly { version: string; commit: string }[],
): Promise<Removal[]> {
  const min = config.deprecation.minMinors;
  const removals = removalsOf(commits, config);
  if (min === 0 || removals.length === 0) return [];
  const v = semver.parse(version)!;
  const lineOf = (x: string): string => `${semver.major(x)}.${semver.minor(x)}`;
  const below = releases
    .filter((r) => semver.prerelease(r.version) === null && semver.lt(r.version, `${v.major}.${v.minor}.0`))
    .sort((a, b) => semver.compare(a.version, b.version));
  const lines = [...new Set(below.map((r) => lineOf(r.version)))];
  if (lines.length < min) return removals;
  const line = lines[lines.length - min]!;
  const base = below.filter((r) => lineOf(r.version) === line).at(-1)!;
  const deprecations: string[] = [];
  await readCommits(root, { revisions: [base.commit] }, (raw) => deprecations.push(...parseCommit(raw).deprecations));
  return unannounced(removals, deprecations);
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

  const prereleaseLine =
    channel === stable
      ? await history.latestReachable(
          (t) =>
            semver.prerelease(t.version) !== null &&
            !isNightly(t.version) &&
            (baseTag === null || semver.gt(t.version, baseTag.version)),
        )
      : null;
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
    prereleaseLine: prereleaseLine?.version ?? null,
    line: maintenanceLine(history.repo.branch),
  });
  const takenBy = await Promise.all(
    plan.taken.map(async (v) => {
      const tag = history.tags.releases.find((t) => t.version === v)!;
      return { tag: tag.name, branches: await branchesContaining(history.repo.root, tag.commit) };
    }),
  );
  if (takenBy.length > 0)
    plan.reason = `${plan.reason} (${takenBy.map((t) => `${t.tag} is on ${t.branches.join(', ') || 'no branch'}`).join('; ')})`;
  const removed =
    plan.next === null
      ? []
      : await unannouncedRemovalsOf(
          history.repo.root,
          config,
          plan.next,
          plan.selection.included,
          history.tags.releases,
        );
  return {
    ...plan,
    tag: plan.next === null ? null : `${config.tagPrefix}${plan.next}`,
    takenBy,
    markers: await withAdvisories(
      history.repo.root,
      config,
      plan.selection.included,
      releaseMarkers(plan.selection.included),
    ),
    head: head.sha,
    commitsRead,
    skippedTags: history.tags.skipped,
    warnings: [
      unprefixedWarning(history.tags, config.tagPrefix),
      ...removed.map(
        (r) =>
          `${r.sha} removes "${r.text}", which no release ${config.deprecation.minMinors} or more minors earlier deprecated (deprecation.minMinors); deprecate it first (a Deprecated: footer) and remove it in a later minor`,
      ),
    ].filter((w) => w !== null),
    unannouncedRemovals: removed,
  };
}

/** 1.x → {major 1}; 1.4.x → {major 1, minor 4}; any other branch → null. */
export function maintenanceLine(branch: string | null): { branch: string; major: number; minor: number | null } | null {
  const m = branch === null ? null : /^(?:.*\/)?(\d+)\.(?:(\d+)\.)?x$/.exec(branch);
  if (m === null) return null;
  return { branch: branch!, major: Number(m[1]), minor: m[2] === undefined ? null : Number(m[2]) };
}
