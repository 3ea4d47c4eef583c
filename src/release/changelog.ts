import semver from 'semver';
import { ReleaseAttributor } from '../core/changelog/attribute.ts';
import { parseChangelog, serializeChangelog, type ChangelogDocument } from '../core/changelog/document.ts';
import { buildEntries, mayAppear, type ReleaseChanges } from '../core/changelog/entries.ts';
import { linkContext } from '../core/changelog/links.ts';
import { mergeChangelog } from '../core/changelog/merge.ts';
import { renderEntry } from '../core/changelog/render.ts';
import { parseCommit } from '../core/commit/parse.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { isNightly, type ReleaseTag } from '../core/version/tags.ts';
import { openHistory, type History } from './history.ts';

export interface ChangelogOptions {
  cwd: string;
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
  skippedTags: string[];
}

function slim(c: ParsedCommit): ParsedCommit {
  // Only what entries need: a whole-history changelog holds many of these at once.
  return { ...c, body: '', header: '', footers: [] };
}

/** The versions that get changelog sections: release tags, nightlies never, prereleases if asked. */
function sectionTags(history: History, config: ResolvedConfig): ReleaseTag[] {
  return history.tags.releases.filter((t) => !isNightly(t.version) && (config.changelog.prereleases || semver.prerelease(t.version) === null));
}

export async function buildChangelog(options: ChangelogOptions): Promise<ChangelogResult> {
  const { config } = options;
  const history = await openHistory(options.cwd, config.tagPrefix);
  if (history.repo.head === null) {
    throw new SlipwayError('EMPTY_REPOSITORY', `the repository at ${history.repo.root} has no commits yet; commit something first`);
  }
  const head = history.repo.head;
  let doc: ChangelogDocument | null = options.existing === null ? null : parseChangelog(options.existing);
  const tags = sectionTags(history, config);
  // The release being cut sits at HEAD. So does one already written into the file but not
  // tagged yet (a version above every tag): its commits must not show up again as unreleased.
  let pending = options.release;
  if (pending === null && doc !== null) {
    const highestTag = tags.reduce<string | null>((max, t) => (max === null || semver.gt(t.version, max) ? t.version : max), null);
    for (const b of doc.blocks) {
      if (b.kind === 'release' && b.version !== null && (highestTag === null || semver.gt(b.version, highestTag)) && (pending === null || semver.gt(b.version, pending))) pending = b.version;
    }
  }
  if (pending !== null) {
    const v = semver.valid(pending);
    if (v === null) throw new SlipwayError('INVALID_VERSION', `"${pending}" is not a semantic version; expected something like 1.2.0`);
    if (!tags.some((t) => t.version === v)) tags.push({ name: `${config.tagPrefix}${v}`, version: v, commit: head.sha, date: options.date });
  }
  // Only tags HEAD can reach belong in this branch's changelog.
  const merged = await history.reachableTagNames();
  const reachable = tags.filter((t) => t.commit === head.sha || merged.has(t.name));
  reachable.sort((a, b) => semver.rcompare(a.version, b.version));

  const inFile = new Set<string>();
  for (const b of doc?.blocks ?? []) if (b.kind === 'release' && b.version !== null) inFile.add(b.version);
  const wanted = options.mode === 'regenerate' ? reachable : reachable.filter((t) => !inFile.has(t.version));

  // Read only what the wanted sections need: stop at the newest stable release the file already
  // holds below them all (its history is written down already).
  const revisions = ['HEAD'];
  if (options.mode === 'update' && wanted.length < reachable.length) {
    const lowestWanted = wanted.length > 0 ? wanted[wanted.length - 1]!.version : null;
    const boundary = reachable.find((t) => inFile.has(t.version) && semver.prerelease(t.version) === null && (lowestWanted === null || semver.lt(t.version, lowestWanted)));
    // With nothing missing, Unreleased only needs the commits since the newest release.
    const stop = lowestWanted === null ? reachable[0] : boundary;
    if (stop) revisions.push(`^${stop.commit}`);
  }

  const tagsAt = new Map<string, string[]>();
  for (const t of reachable) {
    const list = tagsAt.get(t.commit) ?? [];
    list.push(t.version);
    tagsAt.set(t.commit, list);
  }
  const attributor = new ReleaseAttributor(tagsAt, (c) => mayAppear(c, config));
  let read = 0;
  await history.read({ revisions, topoOrder: true }, (raw) => {
    const parsed = parseCommit(raw);
    attributor.add(mayAppear(parsed, config) ? slim(parsed) : parsed, raw.parents);
    read++;
    if (options.onProgress && read % 10000 === 0) options.onProgress(read);
  });

  const wantedVersions = new Set(wanted.map((t) => t.version));
  const releases: ReleaseChanges[] = [{ version: null, date: null, entries: buildEntries(attributor.buckets.get(null) ?? [], config) }];
  for (const t of reachable) {
    if (!wantedVersions.has(t.version)) continue;
    releases.push({ version: t.version, date: t.date, entries: buildEntries(attributor.buckets.get(t.version) ?? [], config) });
  }

  const ctx = linkContext(config);
  const ownTexts = new Set<string>();
  if (doc !== null && doc.blocks.length > 0) {
    for (const commits of attributor.buckets.values()) {
      for (const e of buildEntries(commits, config, { cancelReverts: false })) ownTexts.add(renderEntry(e, ctx));
    }
  }
  const versions = reachable.map((t) => t.version);
  const previousOf = (version: string | null): string | null | undefined => {
    if (version === null) return versions[0] ?? null;
    if (!versions.includes(version)) return undefined;
    const stable = semver.prerelease(version) === null;
    return versions.find((v) => semver.lt(v, version) && (!stable || semver.prerelease(v) === null)) ?? null;
  };
  // Hand-written lines under [Unreleased] belong to the release being cut, or else to the
  // newest release that is not in the file yet.
  const releasing = options.release ?? (options.mode === 'update' ? (wanted[0]?.version ?? null) : null);
  const result = mergeChangelog(doc, { releases, mode: options.mode, order: config.changelog.sections, ctx, ownTexts, previousOf, releasing });
  doc = result.doc;
  const text = serializeChangelog(doc);
  return {
    text,
    changed: text !== options.existing,
    added: result.added,
    updated: result.updated,
    commitsRead: read,
    skippedTags: history.tags.skipped,
  };
}
