import semver from 'semver';
import { ReleaseAttributor } from '../core/changelog/attribute.ts';
import { join } from 'node:path';
import { markYanked, parseChangelog, serializeChangelog, type ChangelogDocument } from '../core/changelog/document.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { readOptional } from '../io/optional-read.ts';
import { buildEntries, mayAppear, mayAppearRaw, type ReleaseChanges } from '../core/changelog/entries.ts';
import { linkContext } from '../core/changelog/links.ts';
import { mergeChangelog } from '../core/changelog/merge.ts';
import { renderEntry } from '../core/changelog/render.ts';
import { parseCommit } from '../core/commit/parse.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { isNightly, sortNewestFirst, type ReleaseTag } from '../core/version/tags.ts';
import { isAncestor } from '../git/repo.ts';
import type { RepositoryInfo } from '../git/repo.ts';
import { openHistory, type History } from './history.ts';

export interface ChangelogOptions {
  cwd: string;
  /** The repository, when the caller has opened it already. */
  repo?: RepositoryInfo;
  config: ResolvedConfig;
  /** The current file's text, or null when there is none. */
  existing: string | null;
  mode: 'update' | 'regenerate';
  /** Write a section for this version at HEAD (the release being cut), dated `date`. */
  release: string | null;
  /** Today, YYYY-MM-DD, for the release being cut. */
  date: string;
  onProgress?: (commitsRead: number) => void;
}

export interface ChangelogResult {
  text: string;
  changed: boolean;
  added: string[];
  updated: string[];
  commitsRead: number;
  /** 1, or 2 when committer dates went backwards and the history was walked again in topo order. */
  walks: number;
  skippedTags: string[];
}

function slim(c: ParsedCommit): ParsedCommit {
  // Only what entries need: a whole-history changelog holds many of these at once.
  return { ...c, body: '', header: '', footers: [] };
}

/** The versions that get changelog sections: release tags, nightlies never, prereleases if asked. */
function sectionTags(history: History, config: ResolvedConfig): ReleaseTag[] {
  return history.tags.releases.filter(
    (t) => !isNightly(t.version) && (config.changelog.prereleases || semver.prerelease(t.version) === null),
  );
}

export async function buildChangelog(options: ChangelogOptions): Promise<ChangelogResult> {
  const { config } = options;
  const history = await openHistory(options.cwd, config.tagPrefix, options.repo);
  if (history.repo.head === null) {
    throw new SlipwayError(
      'EMPTY_REPOSITORY',
      `the repository at ${history.repo.root} has no commits yet; commit something first`,
    );
  }
  const head = history.repo.head;
  let doc: ChangelogDocument | null = options.existing === null ? null : parseChangelog(options.existing);
  let tags = sectionTags(history, config);
  // The release being cut sits at HEAD. So does one already written into the file but not
  // tagged yet (a version above every tag): its commits must not show up again as unreleased.
  let pending = options.release;
  if (pending === null && doc !== null) {
    const highestTag = tags.reduce<string | null>(
      (max, t) => (max === null || semver.gt(t.version, max) ? t.version : max),
      null,
    );
    for (const b of doc.blocks) {
      if (
        b.kind === 'release' &&
        b.version !== null &&
        (highestTag === null || semver.gt(b.version, highestTag)) &&
        (pending === null || semver.gt(b.version, pending))
      )
        pending = b.version;
    }
  }
  if (pending !== null) {
    const v = semver.valid(pending);
    if (v === null)
      throw new SlipwayError(
        'INVALID_VERSION',
        `"${pending}" is not a semantic version; expected something like 1.2.0`,
      );
    if (!tags.some((t) => t.version === v))
      tags = sortNewestFirst([
        ...tags,
        { name: `${config.tagPrefix}${v}`, version: v, commit: head.sha, date: options.date },
      ]);
  }
  const inFile = new Set<string>();
  for (const b of doc?.blocks ?? []) if (b.kind === 'release' && b.version !== null) inFile.add(b.version);
  const isReachable = async (t: ReleaseTag): Promise<boolean> =>
    t.commit === head.sha || (await isAncestor(history.repo.root, t.commit, head.sha));

  // Read only what is needed: in update mode, stop at the newest stable release the file already
  // holds below every missing one (its history is written down already). Which tags HEAD
  // reaches falls out of the walk itself: no separate reachability pass over the history.
  const revisions = ['HEAD'];
  let missing = options.mode === 'regenerate' ? tags : tags.filter((t) => !inFile.has(t.version));
  if (options.mode === 'update' && inFile.size > 0) {
    // A few missing tags (the usual case) are checked one by one, cheaply: a tag on another
    // branch must not pull the stop point down.
    if (missing.length <= 32) {
      const kept: ReleaseTag[] = [];
      for (const t of missing) if (await isReachable(t)) kept.push(t);
      missing = kept;
    }
    const lowest = missing.reduce<string | null>(
      (min, t) => (min === null || semver.lt(t.version, min) ? t.version : min),
      null,
    );
    const stops = tags.filter(
      (t) =>
        inFile.has(t.version) &&
        (lowest === null || (semver.prerelease(t.version) === null && semver.lt(t.version, lowest))),
    );
    for (const stop of stops) {
      if (await isReachable(stop)) {
        if (stop.commit !== head.sha || missing.length === 0) revisions.push(`^${stop.commit}`);
        break;
      }
    }
  }

  const tagsAt = new Map<string, string[]>();
  for (const t of tags) {
    const list = tagsAt.get(t.commit) ?? [];
    list.push(t.version);
    tagsAt.set(t.commit, list);
  }
  const walk = async (topoOrder: boolean) => {
    const seen = new Set<string>();
    const attributor = new ReleaseAttributor(tagsAt);
    let read = 0;
    await history.read({ revisions, topoOrder }, (raw) => {
      const parsed = mayAppearRaw(raw, config) ? parseCommit(raw) : null;
      if (tagsAt.has(raw.sha)) seen.add(raw.sha);
      attributor.add(raw.sha, raw.parents, parsed !== null && mayAppear(parsed, config) ? slim(parsed) : null);
      read++;
      if (options.onProgress && read % 10000 === 0) options.onProgress(read);
    });
    return { seen, attributor, read };
  };
  // The default order streams; it is right unless a commit came before one of its children
  // (committer dates that go backwards). Then what the walk left waiting is not only the
  // excluded history, and the walk is done again in topo order.
  let walked = await walk(false);
  const leftover = walked.attributor.leftover();
  const stop = revisions[1]?.slice(1);
  let ordered = leftover.length === 0;
  if (!ordered && stop !== undefined && leftover.length <= 64) {
    ordered = true;
    for (const sha of leftover) {
      if (!(await isAncestor(history.repo.root, sha, stop))) {
        ordered = false;
        break;
      }
    }
  }
  if (!ordered) walked = await walk(true);
  const { seen, attributor, read } = walked;
  // Reachable: walked through, or already in the file (it was reachable when it was written).
  const reachable = tags.filter((t) => seen.has(t.commit) || inFile.has(t.version));
  const wanted = reachable.filter(
    (t) => seen.has(t.commit) && (options.mode === 'regenerate' || !inFile.has(t.version)),
  );

  const wantedVersions = new Set(wanted.map((t) => t.version));
  const releases: ReleaseChanges[] = [
    { version: null, date: null, entries: buildEntries(attributor.buckets.get(null) ?? [], config) },
  ];
  for (const t of reachable) {
    if (!wantedVersions.has(t.version)) continue;
    releases.push({
      version: t.version,
      date: t.date,
      entries: buildEntries(attributor.buckets.get(t.version) ?? [], config),
    });
  }

  const ctx = linkContext(config);
  const ownTexts = new Set<string>();
  if (doc !== null && doc.blocks.length > 0) {
    for (const commits of attributor.buckets.values()) {
      for (const e of buildEntries(commits, config, { cancelReverts: false })) ownTexts.add(renderEntry(e, ctx));
    }
  }
  // The version each compare link starts from: the previous stable for a stable release, the
  // previous release of any kind for a prerelease. One pass, oldest first.
  const previous = new Map<string, string | null>();
  let lastAny: string | null = null;
  let lastStable: string | null = null;
  for (let i = reachable.length - 1; i >= 0; i--) {
    const v = reachable[i]!.version;
    const stable = semver.prerelease(v) === null;
    previous.set(v, stable ? lastStable : lastAny);
    lastAny = v;
    if (stable) lastStable = v;
  }
  const previousOf = (version: string | null): string | null | undefined =>
    version === null ? (reachable[0]?.version ?? null) : previous.get(version);
  // Hand-written lines under [Unreleased] belong to the release being cut, or else to the
  // newest release that is not in the file yet.
  const releasing = options.release ?? (options.mode === 'update' ? (wanted[0]?.version ?? null) : null);
  const result = mergeChangelog(doc, {
    releases,
    mode: options.mode,
    order: config.changelog.sections,
    ctx,
    ownTexts,
    previousOf,
    releasing,
  });
  doc = result.doc;
  // A file written with CRLF line ends keeps them.
  const lf = serializeChangelog(doc);
  const text = options.existing?.includes('\r\n') ? lf.replace(/\n/g, '\r\n') : lf;
  return {
    text,
    changed: text !== options.existing,
    added: result.added,
    updated: result.updated,
    commitsRead: read,
    walks: ordered ? 1 : 2,
    skippedTags: history.tags.skipped,
  };
}

/**
 * `slipway yank` in the repository: the version's changelog section marked [YANKED] (written
 * atomically, left for the maintainer to commit). Null when there is no changelog or no section.
 */
export async function markYankedInChangelog(
  root: string,
  config: ResolvedConfig,
  version: string,
  dryRun: boolean,
): Promise<{ file: string; changed: boolean } | null> {
  const file = join(root, config.changelog.file);
  const text = await readOptional(file, 'utf8');
  if (text === null) return null;
  const doc = parseChangelog(text);
  if (!doc.blocks.some((b) => b.kind === 'release' && b.version === version)) return null;
  const changed = markYanked(doc, version);
  if (changed && !dryRun) {
    const out = serializeChangelog(doc);
    await writeFileAtomic(file, text.includes('\r\n') ? out.replace(/\n/g, '\r\n') : out);
  }
  return { file: config.changelog.file, changed };
}
