import semver from 'semver';
import { SlipwayError } from '../errors.ts';

/** A `## …` block of a changelog: a release (version null = Unreleased) or anything else. */
export type Block =
  | { kind: 'release'; version: string | null; date: string | null; heading: string; lines: string[] }
  | { kind: 'other'; heading: string; lines: string[] };

export interface ChangelogDocument {
  /** Everything before the first block: the title and the introduction, kept as written. */
  preamble: string[];
  blocks: Block[];
  /** Link reference definitions at the very end of the file. */
  linkDefinitions: string[];
}

const FENCE = /^(```|~~~)/;
const LINK_DEF = /^\[([^\]]+)\]:\s*\S+/;
// "## [1.2.0] - 2026-11-22", "## 1.2.0 (2026-11-22)", "## [v1.2.0](https://…) (2026-11-22)",
// "# [1.2.0](…)" (conventional-changelog writes minors at level 1): all are releases.
const RELEASE_HEADING =
  /^(#{1,2})\s+\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\]?(?:\([^)]*\))?(?:\s*[-–—(]\s*(\d{4}-\d{2}-\d{2})\)?)?.*$/;
const UNRELEASED_HEADING = /^##\s+\[?unreleased\]?(?:\s.*)?$/i;

/** Reads a changelog without losing a byte of what it does not understand. */
export function parseChangelog(text: string): ChangelogDocument {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const preamble: string[] = [];
  const blocks: Block[] = [];
  let fenced = false;
  const seen = new Set<string>();
  for (const line of lines) {
    if (FENCE.test(line.trimStart())) fenced = !fenced;
    const current = blocks[blocks.length - 1];
    if (!fenced) {
      if (UNRELEASED_HEADING.test(line)) {
        if (seen.has('unreleased')) throw duplicate('Unreleased');
        seen.add('unreleased');
        blocks.push({ kind: 'release', version: null, date: null, heading: line, lines: [] });
        continue;
      }
      const m = RELEASE_HEADING.exec(line);
      if (m && semver.valid(m[2]) !== null) {
        const version = semver.valid(m[2])!;
        if (seen.has(version)) throw duplicate(version);
        seen.add(version);
        blocks.push({ kind: 'release', version, date: m[3] ?? null, heading: line, lines: [] });
        continue;
      }
      if (/^##\s/.test(line)) {
        blocks.push({ kind: 'other', heading: line, lines: [] });
        continue;
      }
    }
    if (current) current.lines.push(line);
    else preamble.push(line);
  }
  // Trailing link definitions (and the blank lines among them) belong to the file, not the last block.
  const tail = blocks.length > 0 ? blocks[blocks.length - 1]!.lines : preamble;
  let cut = tail.length;
  while (cut > 0 && (tail[cut - 1]!.trim() === '' || LINK_DEF.test(tail[cut - 1]!))) cut--;
  const linkDefinitions = tail.splice(cut).filter((l) => l.trim() !== '');
  return { preamble, blocks, linkDefinitions };
}

function duplicate(version: string): SlipwayError {
  return new SlipwayError(
    'CHANGELOG_DUPLICATE_VERSION',
    `the changelog has two sections for ${version}; merge them by hand, then run slipway again`,
  );
}

export function linkLabel(definition: string): string | null {
  return LINK_DEF.exec(definition)?.[1]?.toLowerCase() ?? null;
}

/** Writes the document back; a document that was not changed comes back byte for byte (less CRs). */
export function serializeChangelog(doc: ChangelogDocument): string {
  const out: string[] = [...doc.preamble];
  for (const b of doc.blocks) out.push(b.heading, ...b.lines);
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  if (doc.linkDefinitions.length > 0) out.push('', ...doc.linkDefinitions);
  return `${out.join('\n')}\n`;
}

/** An item of a release block: a top-level bullet and the lines that continue it. */
export interface BlockItem {
  text: string;
  /** The commit a generated bullet names at its end, e.g. "([abc1234](…))" or "(abc1234)". */
  sha: string | null;
}

export interface BlockSection {
  title: string;
  /** Bullets, and any other text kept as one item each. */
  items: BlockItem[];
}

export interface ParsedBlock {
  /** Text before the first "###" heading. */
  intro: string[];
  sections: BlockSection[];
}

const SHA_AT_END = /\(\[?([0-9a-f]{7,40})\]?(?:\([^()\s]*\))?\)\s*$/;

/** Splits a release block's lines into "###" sections and bullet items. */
export function parseBlock(lines: readonly string[]): ParsedBlock {
  const intro: string[] = [];
  const sections: BlockSection[] = [];
  let item: string[] | null = null;
  const flush = (): void => {
    if (item === null) return;
    while (item.length > 0 && item[item.length - 1]!.trim() === '') item.pop();
    const text = item.join('\n');
    const first = item[0] ?? '';
    sections[sections.length - 1]!.items.push({
      text,
      sha: /^[-*+] /.test(first) ? (SHA_AT_END.exec(first)?.[1] ?? null) : null,
    });
    item = null;
  };
  let fenced = false;
  for (const line of lines) {
    const fence = FENCE.test(line.trimStart());
    if (!fenced && /^###\s+/.test(line)) {
      flush();
      sections.push({ title: line.replace(/^###\s+/, '').trim(), items: [] });
      continue;
    }
    if (sections.length === 0) {
      intro.push(line);
    } else if (!fenced && /^[-*+] /.test(line)) {
      flush();
      item = [line];
    } else if (item !== null) {
      item.push(line);
    } else if (line.trim() !== '') {
      item = [line];
    }
    if (fence) fenced = !fenced;
  }
  flush();
  while (intro.length > 0 && intro[intro.length - 1]!.trim() === '') intro.pop();
  while (intro.length > 0 && intro[0]!.trim() === '') intro.shift();
  return { intro, sections };
}

/**
 * Marks a release's heading `[YANKED]`, as Keep a Changelog says a withdrawn release is shown
 * ("## [0.0.5] - 2014-12-13 [YANKED]"). False when the version has no section or is marked already.
 */
export function markYanked(doc: ChangelogDocument, version: string): boolean {
  const block = doc.blocks.find((b) => b.kind === 'release' && b.version === version);
  if (block === undefined || /\[YANKED\]/i.test(block.heading)) return false;
  block.heading = `${block.heading.trimEnd()} [YANKED]`;
  return true;
}
