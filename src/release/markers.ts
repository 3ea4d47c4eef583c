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
import { isEmbargoed } from '../core/advisory/osv.ts';
import { SEVERITIES } from '../core/feed/manifest.ts';
import { loadAdvisories } from './advisory.ts';

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
  const included = selectCommits(commits).included;
  return withAdvisories(root, config, included, releaseMarkers(included));
}

/**
 * The markers with the advisories the commits fix: what markersOf and `next` both report.
 */
export async function withAdvisories(
  root: string,
  config: ResolvedConfig,
  included: readonly ParsedCommit[],
  markers: ReleaseMarkers,
): Promise<ReleaseMarkers> {
  // A "Fixes-Advisory: <id>" footer makes a security release of the advisory's severity; the
  // advisory is named only once it is public (an embargoed one stays out of notes and manifests).
  const ids = included.flatMap((c) =>
    c.footers.filter((f) => f.token.toLowerCase() === 'fixes-advisory').map((f) => f.value.trim()),
  );
  if (ids.length === 0) return markers;
  // A broken advisory file is an error here too: a silent fallback would understate the severity.
  const all = await loadAdvisories(root, config);
  const now = new Date();
  let severity = markers.security?.severity ?? null;
  let advisory = markers.security?.advisory ?? null;
  for (const id of ids) {
    const a = all.find((x) => x.id === id);
    const own = a?.database_specific.severity ?? 'medium';
    if (severity === null || SEVERITIES.indexOf(own) > SEVERITIES.indexOf(severity)) severity = own;
    if (advisory === null && a !== undefined && !isEmbargoed(a, now)) advisory = a.aliases?.[0] ?? a.id;
  }
  return {
    ...markers,
    security: { severity: severity!, advisory },
    because: {
      ...markers.because,
      security: [...markers.because.security, ...ids.map((id) => `Fixes-Advisory: ${id}`)],
    },
  };
}
