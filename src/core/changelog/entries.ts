import type { ParsedCommit, RawCommit, Reference } from '../commit/types.ts';
import { ruleFor, type CommitRules } from '../config/schema.ts';
import { selectCommits } from '../version/bump.ts';

const TYPE_AT_START = /^([A-Za-z][\w-]*)(?:\([^()\r\n]*\))?(!)?:/;

/**
 * A cheap look at a raw commit: false when it can never produce or cancel an entry (a `docs:`
 * or `chore:` commit with no breaking marker, a message that is not conventional), so that a
 * walk over a long history need not parse it at all. True means "parse it and see".
 */
export function mayAppearRaw(raw: RawCommit, config: CommitRules): boolean {
  if (raw.subject.startsWith('Revert "')) return true;
  const m = TYPE_AT_START.exec(raw.subject);
  if (m === null) return false;
  if (m[2] === '!' || (config.types[m[1]!.toLowerCase()]?.section ?? null) !== null) return true;
  if (config.deps.section !== null && config.deps.types.includes(m[1]!.toLowerCase())) return true;
  const lower = m[1]!.toLowerCase();
  if (lower === 'revert' || lower === 'breaking' || lower === 'breaking-change') return true;
  return raw.body !== '' && (raw.body.includes('BREAKING') || raw.body.includes('eprecated:'));
}

/** Whether a commit can ever produce a changelog entry (or cancel one): the rest need not be kept. */
export function mayAppear(c: ParsedCommit, config: CommitRules): boolean {
  if (!c.conventional) return false;
  return (
    c.breaking || c.reverts !== null || c.deprecations.length > 0 || (ruleFor(c, config)?.section ?? null) !== null
  );
}

/** One line of a changelog, still structured. */
export interface ChangeEntry {
  section: string;
  sha: string;
  scope: string | null;
  subject: string;
  breaking: boolean;
  /** Migration text from BREAKING CHANGE footers. */
  notes: string[];
  references: Reference[];
}

/** A release's worth of entries: `version` null is [Unreleased]. */
export interface ReleaseChanges {
  version: string | null;
  date: string | null;
  entries: ChangeEntry[];
}

/**
 * Turns a release's commits (newest first) into entries, oldest first, breaking ones first
 * within a section. Reverts cancel what they revert; a breaking change always shows, even
 * for a type that is otherwise left out; `Deprecated:` footers add a Deprecated entry.
 */
export function buildEntries(
  commits: readonly ParsedCommit[],
  config: CommitRules,
  options: { cancelReverts?: boolean } = {},
): ChangeEntry[] {
  const included =
    options.cancelReverts === false ? commits.filter((c) => c.conventional) : selectCommits(commits).included;
  const entries: ChangeEntry[] = [];
  for (let i = included.length - 1; i >= 0; i--) {
    const c = included[i]!;
    let section = ruleFor(c, config)?.section ?? null;
    if (section === null && c.breaking) section = 'Changed';
    if (section !== null) {
      entries.push({
        section,
        sha: c.sha,
        scope: c.scope,
        subject: c.subject,
        breaking: c.breaking,
        notes: c.breakingNotes,
        references: c.references,
      });
    }
    for (const text of c.deprecations) {
      entries.push({
        section: 'Deprecated',
        sha: c.sha,
        scope: c.scope,
        subject: text,
        breaking: false,
        notes: [],
        references: [],
      });
    }
  }
  // Stable sort: breaking entries first, the rest keep history order.
  return entries.sort((a, b) => Number(b.breaking) - Number(a.breaking));
}

/** Entries grouped by section, in the configured order, then any other section in first-seen order. */
export function groupBySection(entries: readonly ChangeEntry[], order: readonly string[]): [string, ChangeEntry[]][] {
  const groups = new Map<string, ChangeEntry[]>();
  for (const s of order) groups.set(s, []);
  for (const e of entries) {
    let list = groups.get(e.section);
    if (!list) groups.set(e.section, (list = []));
    list.push(e);
  }
  return [...groups].filter(([, list]) => list.length > 0);
}
