import semver from 'semver';
import { parseCommit } from '../core/commit/parse.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { releaseMarkers, type ReleaseMarkers } from '../core/release/markers.ts';
import { classifyTags } from '../core/version/tags.ts';
import { selectCommits } from '../core/version/bump.ts';
import { readCommits } from '../git/log.ts';
import { tagsMergedInto } from '../git/refs.ts';
import { listTags } from '../git/tags.ts';

/**
 * The security and breaking markers of `version` built from `commit`: the commits since the
 * stable release below it that the commit reaches, read as `next` reads them.
 */
export async function markersOf(
  root: string,
  config: ResolvedConfig,
  version: string,
  commit: string,
): Promise<ReleaseMarkers> {
  const merged = new Set(await tagsMergedInto(root, commit));
  const tags = classifyTags(
    (await listTags(root)).filter((t) => merged.has(t.name)),
    config.tagPrefix,
  ).releases.filter((t) => semver.prerelease(t.version) === null && semver.lt(t.version, version));
  const base = tags[0] ?? null;
  const commits: ParsedCommit[] = [];
  await readCommits(root, { revisions: base === null ? [commit] : [commit, `^${base.commit}`] }, (raw) =>
    commits.push(parseCommit(raw)),
  );
  return releaseMarkers(selectCommits(commits).included);
}
