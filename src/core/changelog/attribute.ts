import semver from 'semver';
import type { ParsedCommit } from '../commit/types.ts';

// Ranks are packed two to a number (any-track * 2^20 + stable-track): one map lookup per
// commit instead of two, which is most of the walk's cost at a million commits.
const UNRELEASED = 0xfffff;
const SHIFT = 0x100000;

/**
 * Attributes each commit to the earliest release that contains it, in one pass over commits
 * given children before parents. A commit's release is the lowest of its own tag and its
 * children's releases, so only the frontier of the walk is held in memory.
 *
 * git's default order is children-first whenever committer dates do not go backwards, and
 * streams; `--topo-order` always is, but computes the whole order before writing anything. A
 * walk in the default order is checked afterwards with `leftover`: a commit that came before
 * one of its children is left waiting forever, and the caller walks again in topo order.
 *
 * Two tracks run side by side: every section version (stable and prerelease), and stable
 * versions only, so that a stable release gathers the entries of the betas before it.
 */
export class ReleaseAttributor {
  readonly #ranks: string[];
  readonly #rankOf = new Map<string, number>();
  readonly #stableRank: Map<string, number>;
  readonly #stables: string[];
  readonly #tagsAt: ReadonlyMap<string, readonly string[]>;
  readonly #pending = new Map<string, number>();
  readonly #buckets = new Map<string | null, ParsedCommit[]>();

  /** @param tagsAt section versions tagged at each commit sha */
  constructor(tagsAt: ReadonlyMap<string, readonly string[]>) {
    const versions = new Set<string>();
    for (const list of tagsAt.values()) for (const v of list) versions.add(v);
    if (versions.size >= UNRELEASED) throw new RangeError(`too many releases to attribute (${versions.size})`);
    // Parse once: sorting thousands of version strings would parse each one many times.
    this.#ranks = [...versions]
      .map((v) => new semver.SemVer(v))
      .sort((a, b) => a.compare(b))
      .map((v) => v.version);
    this.#ranks.forEach((v, i) => this.#rankOf.set(v, i));
    this.#stables = this.#ranks.filter((v) => semver.prerelease(v) === null);
    this.#stableRank = new Map(this.#stables.map((v, i) => [v, i]));
    this.#tagsAt = tagsAt;
  }

  /** Walks through one commit; `keep` is what to hold on to for its release, if anything. */
  add(sha: string, parents: readonly string[], keep: ParsedCommit | null): void {
    const packed = this.#pending.get(sha);
    let any = packed === undefined ? UNRELEASED : Math.floor(packed / SHIFT);
    let stable = packed === undefined ? UNRELEASED : packed % SHIFT;
    if (packed !== undefined) this.#pending.delete(sha);
    const own = this.#tagsAt.get(sha);
    if (own) {
      for (const v of own) {
        any = Math.min(any, this.#rankOf.get(v)!);
        const s = this.#stableRank.get(v);
        if (s !== undefined) stable = Math.min(stable, s);
      }
    }
    const mine = any * SHIFT + stable;
    for (const p of parents) {
      const theirs = this.#pending.get(p);
      if (theirs === undefined) this.#pending.set(p, mine);
      else if (theirs !== mine)
        this.#pending.set(p, Math.min(Math.floor(theirs / SHIFT), any) * SHIFT + Math.min(theirs % SHIFT, stable));
    }
    if (keep === null) return;
    const anyVersion = any === UNRELEASED ? null : this.#ranks[any]!;
    this.#push(anyVersion, keep);
    if (stable !== UNRELEASED) {
      const stableVersion = this.#stables[stable]!;
      if (stableVersion !== anyVersion) this.#push(stableVersion, keep);
    }
  }

  #push(version: string | null, commit: ParsedCommit): void {
    let list = this.#buckets.get(version);
    if (!list) this.#buckets.set(version, (list = []));
    list.push(commit);
  }

  /** Commits per version (null: unreleased), newest first. */
  get buckets(): ReadonlyMap<string | null, readonly ParsedCommit[]> {
    return this.#buckets;
  }

  /** Parents never reached by the walk: excluded ones, or ones that came before a child. */
  leftover(): string[] {
    return [...this.#pending.keys()];
  }
}
