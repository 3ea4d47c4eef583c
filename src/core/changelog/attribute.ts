import semver from 'semver';
import type { ParsedCommit } from '../commit/types.ts';

const UNRELEASED = Number.POSITIVE_INFINITY;

/**
 * Attributes each commit to the earliest release that contains it, in one pass over commits
 * given children-before-parents (git log --topo-order). A commit's release is the lowest of its
 * own tag and its children's releases, so only the frontier of the walk is held in memory.
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
  readonly #pendingAny = new Map<string, number>();
  readonly #pendingStable = new Map<string, number>();
  readonly #buckets = new Map<string | null, ParsedCommit[]>();
  readonly #keep: (c: ParsedCommit) => boolean;

  /**
   * @param tagsAt section versions tagged at each commit sha
   * @param keep which commits to hold on to (the rest are only walked through)
   */
  constructor(tagsAt: ReadonlyMap<string, readonly string[]>, keep: (c: ParsedCommit) => boolean) {
    const versions = new Set<string>();
    for (const list of tagsAt.values()) for (const v of list) versions.add(v);
    this.#ranks = [...versions].sort(semver.compare);
    this.#ranks.forEach((v, i) => this.#rankOf.set(v, i));
    this.#stables = this.#ranks.filter((v) => semver.prerelease(v) === null);
    this.#stableRank = new Map(this.#stables.map((v, i) => [v, i]));
    this.#tagsAt = tagsAt;
    this.#keep = keep;
  }

  add(commit: ParsedCommit, parents: readonly string[]): void {
    let any = this.#pendingAny.get(commit.sha) ?? UNRELEASED;
    let stable = this.#pendingStable.get(commit.sha) ?? UNRELEASED;
    this.#pendingAny.delete(commit.sha);
    this.#pendingStable.delete(commit.sha);
    const own = this.#tagsAt.get(commit.sha);
    if (own) {
      for (const v of own) {
        any = Math.min(any, this.#rankOf.get(v)!);
        const s = this.#stableRank.get(v);
        if (s !== undefined) stable = Math.min(stable, s);
      }
    }
    for (const p of parents) {
      const a = this.#pendingAny.get(p);
      if (a === undefined || any < a) this.#pendingAny.set(p, any);
      const s = this.#pendingStable.get(p);
      if (s === undefined || stable < s) this.#pendingStable.set(p, stable);
    }
    if (!this.#keep(commit)) return;
    const anyVersion = any === UNRELEASED ? null : this.#ranks[any]!;
    this.#push(anyVersion, commit);
    if (stable !== UNRELEASED) {
      const stableVersion = this.#stables[stable]!;
      if (stableVersion !== anyVersion) this.#push(stableVersion, commit);
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

  /** How many commits are waiting on their parents: the walk's frontier. */
  get frontier(): number {
    return this.#pendingAny.size;
  }
}
