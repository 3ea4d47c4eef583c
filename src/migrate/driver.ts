import type { Direction } from '../core/migrate/plan.ts';
import type { Statement } from '../core/migrate/parse.ts';

export interface ApplyStep {
  version: bigint;
  direction: Direction;
  file: string;
  statements: readonly Statement[];
  noTransaction: boolean;
}

/** A database the migration runner can drive. One connection, owned by the driver. */
export interface MigrationDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Takes the migration lock (waiting up to `timeoutMs`), so that two runners never overlap. */
  lock(timeoutMs: number): Promise<void>;
  unlock(): Promise<void>;
  /** Creates goose_db_version (goose's own layout) when it is not there. */
  ensureVersionTable(): Promise<void>;
  /** Versions applied, read the way goose reads them: the newest row of each version decides. */
  appliedVersions(): Promise<Map<bigint, string | null>>;
  /** Runs the statements and records the version, in one transaction unless `noTransaction`. */
  apply(step: ApplyStep): Promise<void>;
  close(): Promise<void>;
}

/** Folds goose_db_version rows, newest first, into the applied versions and when each was applied. */
export function foldVersionRows(
  rows: readonly { version_id: bigint | number | string; is_applied: boolean | number; tstamp: string | Date | null }[],
): Map<bigint, string | null> {
  const decided = new Set<bigint>();
  const applied = new Map<bigint, string | null>();
  for (const row of rows) {
    const v = BigInt(row.version_id);
    if (decided.has(v)) continue;
    decided.add(v);
    if (v !== 0n && (row.is_applied === true || row.is_applied === 1)) {
      applied.set(
        v,
        row.tstamp === null ? null : row.tstamp instanceof Date ? row.tstamp.toISOString() : String(row.tstamp),
      );
    }
  }
  return applied;
}
