import type { ParsedCommit } from '../commit/types.ts';
import { ruleFor, type Bump, type CommitRules } from '../config/schema.ts';

const RANK: Record<Bump, number> = { patch: 1, minor: 2, major: 3 };

export function higherBump(a: Bump | null, b: Bump | null): Bump | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

/** The release one commit warrants under the 1.0.0-and-later rules. */
export function bumpForCommit(commit: ParsedCommit, rules: CommitRules): Bump | null {
  if (!commit.conventional) return null;
  if (commit.breaking) return 'major';
  let bump = ruleFor(commit, rules)?.bump ?? null;
  // A `Deprecated:` footer marks public API as deprecated: SemVer 2.0.0 item 7 asks for a minor.
  if (commit.deprecations.length > 0) bump = higherBump(bump, 'minor');
  return bump;
}

/** Below 1.0.0 a breaking change bumps the minor (the server panel strategy's 0.x rule). */
export function applyZeroMajorRule(bump: Bump | null, currentMajor: number | null): Bump | null {
  if (bump === 'major' && currentMajor === 0) return 'minor';
  return bump;
}

export interface CommitSelection {
  /** Conventional commits that count, newest first, after reverts and merges are settled. */
  included: ParsedCommit[];
  /** Commits that are not conventional (merges aside): counted, listable, never fatal. */
  nonConventional: ParsedCommit[];
  /** Pairs that cancel out: a commit and the revert of it, both in range. */
  cancelled: { commit: ParsedCommit; revertedBy: ParsedCommit }[];
  /** Merge commits left out because the commits they bring in already count. */
  skippedMerges: ParsedCommit[];
}

function changeKey(c: ParsedCommit): string {
  return `${c.type}\u0000${c.scope ?? ''}\u0000${c.subject}`;
}

/**
 * Settles reverts and merges over a range of commits given newest first.
 *
 * A revert whose target is in the range cancels it (and a revert of that revert brings it
 * back). A merge commit counts once: a non-conventional merge ("Merge pull request #12 …") is
 * skipped, and a conventional one is skipped when the same change is already in the range.
 */
export function selectCommits(commits: readonly ParsedCommit[]): CommitSelection {
  const nonConventional: ParsedCommit[] = [];
  const skippedMerges: ParsedCommit[] = [];
  const candidates: ParsedCommit[] = [];
  for (const c of commits) {
    if (c.merge && !c.conventional) skippedMerges.push(c);
    else if (!c.conventional) nonConventional.push(c);
    else candidates.push(c);
  }

  // Reverts, oldest first, so that a revert of a revert brings the original back.
  const active = new Set<ParsedCommit>(candidates);
  const cancelledBy = new Map<ParsedCommit, ParsedCommit>();
  const undid = new Map<ParsedCommit, ParsedCommit>(); // a revert -> the commit it cancelled
  if (candidates.some((c) => c.reverts !== null)) {
    const byPrefix = (sha: string): ParsedCommit | undefined => candidates.find((c) => c.sha.startsWith(sha));
    for (let i = candidates.length - 1; i >= 0; i--) {
      const revert = candidates[i]!;
      if (revert.reverts === null || !active.has(revert)) continue;
      const target = byPrefix(revert.reverts);
      if (!target) continue;
      if (active.has(target)) {
        active.delete(target);
        active.delete(revert);
        cancelledBy.set(target, revert);
        undid.set(revert, target);
      } else if (undid.has(target)) {
        const original = undid.get(target)!;
        undid.delete(target);
        cancelledBy.delete(original);
        active.add(original);
        active.delete(revert);
        cancelledBy.set(target, revert);
        undid.set(revert, target);
      }
    }
  }

  const included: ParsedCommit[] = [];
  const plain = new Set<string>();
  for (const c of candidates) if (!c.merge && active.has(c)) plain.add(changeKey(c));
  for (const c of candidates) {
    if (!active.has(c)) continue;
    if (c.merge && plain.has(changeKey(c))) {
      skippedMerges.push(c);
      continue;
    }
    included.push(c);
  }
  const cancelled = [...cancelledBy].map(([commit, revertedBy]) => ({ commit, revertedBy }));
  return { included, nonConventional, cancelled, skippedMerges };
}

export interface BumpDecision {
  /** After the 0.x rule. */
  bump: Bump | null;
  /** The commits whose own bump equals the decided one: the "why". */
  deciding: ParsedCommit[];
  /** The newest `Release-As:` footer in range, if any. */
  releaseAs: string | null;
}

export function decideBump(
  included: readonly ParsedCommit[],
  rules: CommitRules,
  currentMajor: number | null,
): BumpDecision {
  let bump: Bump | null = null;
  let releaseAs: string | null = null;
  const perCommit: [ParsedCommit, Bump | null][] = [];
  for (const c of included) {
    const b = applyZeroMajorRule(bumpForCommit(c, rules), currentMajor);
    perCommit.push([c, b]);
    bump = higherBump(bump, b);
    if (releaseAs === null && c.releaseAs !== null) releaseAs = c.releaseAs;
  }
  const deciding = bump === null ? [] : perCommit.filter(([, b]) => b === bump).map(([c]) => c);
  return { bump, deciding, releaseAs };
}
