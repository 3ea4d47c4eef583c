import semver from 'semver';
import type { ChangeEntry, ReleaseChanges } from './entries.ts';
import { groupBySection } from './entries.ts';
import { linkLabel, parseBlock, type Block, type ChangelogDocument } from './document.ts';
import { compareUrl, type LinkContext } from './links.ts';
import { renderEntry, renderHeading } from './render.ts';

export const DEFAULT_PREAMBLE = [
  '# Changelog',
  '',
  'All notable changes to this project will be documented in this file.',
  '',
  'The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),',
  'and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).',
  '',
];

export interface MergeOptions {
  /** Generated releases; `version: null` is [Unreleased]. */
  releases: readonly ReleaseChanges[];
  /** update: only missing releases and [Unreleased] change. regenerate: every generated release is rebuilt. */
  mode: 'update' | 'regenerate';
  order: readonly string[];
  ctx: LinkContext;
  /**
   * Every bullet Slipway would write for a commit in the range read, reverted ones included:
   * an existing bullet equal to one of these is Slipway's own and may be rewritten; any other
   * text is the user's and is kept.
   */
  ownTexts: ReadonlySet<string>;
  /** The version a release's compare link starts from; undefined for a version with no tag. */
  previousOf: (version: string | null) => string | null | undefined;
  /** A new release that takes over the hand-written items of [Unreleased] (the release being cut). */
  releasing: string | null;
}

export interface MergeResult {
  doc: ChangelogDocument;
  added: string[];
  updated: string[];
}

interface Item {
  text: string;
  sha: string | null;
}

/** Merges generated entries into a block's existing lines, keeping every line Slipway did not write. */
export function mergeBlockLines(
  existing: readonly string[],
  entries: readonly ChangeEntry[],
  opts: Pick<MergeOptions, 'order' | 'ctx' | 'ownTexts'>,
): { lines: string[]; userItems: Map<string, Item[]>; intro: string[] } {
  const parsed = parseBlock(existing);
  const kept = new Map<string, Item[]>();
  const userShas = new Set<string>();
  for (const s of parsed.sections) {
    const items = s.items.filter((i) => !opts.ownTexts.has(i.text));
    if (items.length === 0 && s.items.length > 0) continue;
    kept.set(s.title, items);
    for (const i of items) if (i.sha !== null) userShas.add(`${s.title}\u0000${i.sha.slice(0, 7)}`);
  }
  const generated = new Map<string, Item[]>();
  for (const [section, list] of groupBySection(entries, opts.order)) {
    generated.set(
      section,
      // A bullet the user edited (same commit, other words) wins over the generated one.
      list
        .filter((e) => !userShas.has(`${section}\u0000${e.sha.slice(0, 7)}`))
        .map((e) => ({ text: renderEntry(e, opts.ctx), sha: e.sha })),
    );
  }
  const titles = [...opts.order, ...kept.keys(), ...generated.keys()].filter((t, i, all) => all.indexOf(t) === i);
  const lines: string[] = [];
  if (parsed.intro.length > 0) lines.push('', ...parsed.intro);
  for (const title of titles) {
    const items = [...(kept.get(title) ?? []), ...(generated.get(title) ?? [])];
    if (items.length === 0 && !kept.has(title)) continue;
    lines.push('', `### ${title}`);
    if (items.length > 0) lines.push('', ...items.map((i) => i.text));
  }
  return { lines: lines.length > 0 ? [...lines, ''] : [''], userItems: kept, intro: parsed.intro };
}

function releaseIndex(blocks: readonly Block[], version: string | null): number {
  return blocks.findIndex((b) => b.kind === 'release' && b.version === version);
}

/**
 * Where a new release block goes: above the first release it is newer than, Unreleased on top.
 * Releases are inserted newest first, so each search starts where the last one ended.
 */
function insertionIndex(blocks: readonly Block[], version: string | null, from = 0): number {
  for (let i = from; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.kind !== 'release') continue;
    if (version === null) return i;
    if (b.version !== null && semver.gt(version, b.version)) return i;
  }
  const lastRelease = blocks.map((b) => b.kind).lastIndexOf('release');
  if (lastRelease !== -1) return lastRelease + 1;
  // No release yet: new releases go above any other "##" block (safe insertion), or at the end.
  return 0;
}

/** Merges generated releases into a changelog document. Never drops text Slipway did not write. */
export function mergeChangelog(input: ChangelogDocument | null, opts: MergeOptions): MergeResult {
  const doc: ChangelogDocument = input
    ? {
        preamble: [...input.preamble],
        blocks: input.blocks.map((b) => ({ ...b, lines: [...b.lines] })),
        linkDefinitions: [...input.linkDefinitions],
      }
    : { preamble: [...DEFAULT_PREAMBLE], blocks: [], linkDefinitions: [] };
  if (doc.preamble.length > 0 && doc.preamble[doc.preamble.length - 1]!.trim() !== '') doc.preamble.push('');
  const added: string[] = [];
  const updated: string[] = [];

  // Hand-written items of [Unreleased] move into the release being cut.
  // Only into a release newer than every one in the file: an older release added late (a tag
  // made without updating the file) never takes what is written for the next one.
  let carried: { items: ReadonlyMap<string, Item[]>; intro: string[] } | null = null;
  const unreleasedAt = releaseIndex(doc.blocks, null);
  const newest = doc.blocks.reduce<string | null>(
    (max, b) =>
      b.kind === 'release' && b.version !== null && (max === null || semver.gt(b.version, max)) ? b.version : max,
    null,
  );
  if (
    opts.releasing !== null &&
    unreleasedAt !== -1 &&
    releaseIndex(doc.blocks, opts.releasing) === -1 &&
    (newest === null || semver.gt(opts.releasing, newest))
  ) {
    const { userItems, intro } = mergeBlockLines(doc.blocks[unreleasedAt]!.lines, [], opts);
    carried = { items: userItems, intro };
    doc.blocks[unreleasedAt]!.lines = [''];
  }

  const present = new Set(doc.blocks.map((b) => (b.kind === 'release' ? b.version : undefined)));
  let cursor = 0;
  for (const release of opts.releases) {
    const at = present.has(release.version) ? releaseIndex(doc.blocks, release.version) : -1;
    const label = release.version ?? 'Unreleased';
    if (at === -1) {
      const seed =
        carried !== null && release.version === opts.releasing
          ? [...carried.intro, ...itemsToLines(carried.items)]
          : [];
      const { lines } = mergeBlockLines(seed, release.entries, opts);
      const index = insertionIndex(doc.blocks, release.version, release.version === null ? 0 : cursor);
      cursor = index + 1;
      // The block above ends with a blank line, as every block Slipway writes does.
      const above = doc.blocks[index - 1];
      if (above !== undefined && above.lines[above.lines.length - 1]?.trim() !== '') above.lines.push('');
      doc.blocks.splice(index, 0, {
        kind: 'release',
        version: release.version,
        date: release.date,
        heading: renderHeading(release.version, release.date),
        lines,
      });
      added.push(label);
    } else if (release.version === null || opts.mode === 'regenerate') {
      const block = doc.blocks[at]!;
      const { lines } = mergeBlockLines(block.lines, release.entries, opts);
      if (lines.join('\n') !== block.lines.join('\n')) {
        block.lines = lines;
        updated.push(label);
      }
    }
  }
  doc.linkDefinitions = mergeLinks(doc, opts);
  return { doc, added, updated };
}

function itemsToLines(items: ReadonlyMap<string, Item[]>): string[] {
  const lines: string[] = [];
  for (const [title, list] of items) {
    if (list.length === 0) continue;
    lines.push('', `### ${title}`, '', ...list.map((i) => i.text));
  }
  return lines;
}

/** Compare links for every release block Slipway knows the tags of; the user's other definitions stay. */
function mergeLinks(doc: ChangelogDocument, opts: MergeOptions): string[] {
  if (opts.ctx.repository === null) return doc.linkDefinitions;
  const ours: string[] = [];
  const labels = new Set<string>();
  for (const b of doc.blocks) {
    if (b.kind !== 'release') continue;
    const previous = opts.previousOf(b.version);
    if (previous === undefined) continue;
    const url = compareUrl(opts.ctx, previous, b.version);
    if (url === null) continue;
    const label = b.version ?? 'unreleased';
    labels.add(label.toLowerCase());
    ours.push(`[${label}]: ${url}`);
  }
  const theirs = doc.linkDefinitions.filter((d) => !labels.has(linkLabel(d) ?? ''));
  return [...ours, ...theirs];
}
