/** A commit as git gives it, before any interpretation. */
export interface RawCommit {
  sha: string;
  parents: readonly string[];
  /** Committer date, seconds since the epoch. */
  time: number;
  subject: string;
  body: string;
}

export interface Footer {
  token: string;
  value: string;
}

export interface Reference {
  /** `owner/repo` for a cross-repository reference, otherwise null. */
  repository: string | null;
  issue: string;
  /** `closes`, `fixes`, `resolves`, `refs`… when a footer said so, otherwise null. */
  action: string | null;
}

/** A commit read the Conventional Commits 1.0.0 way. */
export interface ParsedCommit {
  sha: string;
  shortSha: string;
  time: number;
  merge: boolean;
  /** True when the header has the `type(scope)!: description` form. */
  conventional: boolean;
  /** Lower-cased type, or null when the commit is not conventional. */
  type: string | null;
  scope: string | null;
  /** The description after `: ` (or the whole header when not conventional). */
  subject: string;
  header: string;
  body: string;
  breaking: boolean;
  /** Text of `BREAKING CHANGE:` / `BREAKING-CHANGE:` footers: the migration notes. */
  breakingNotes: string[];
  /** Text of `Deprecated:` footers. */
  deprecations: string[];
  footers: Footer[];
  references: Reference[];
  /** The value of a `Release-As:` footer. */
  releaseAs: string | null;
  /** The sha (full or abbreviated) of the commit this one reverts, when it is a revert. */
  reverts: string | null;
}
