import { appendFile, readFile } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import type { Snapshot } from './snapshot.ts';

/** What a step of an update or rollback had done when the process stopped (the journal). */
export type Step = 'begun' | 'app-stopped' | 'config-migrated' | 'db-migrated' | 'switched' | 'app-started';

export interface Transaction {
  kind: 'update' | 'rollback';
  from: string | null;
  to: string;
  step: Step;
  startedAt: string;
  /** The release folder whose migration files cover both versions (the newer one). */
  filesFrom: string;
  /** Where undoing (or finishing) the change leads: version, database version, config_version. */
  restore: { version: string | null; db: string; config: number | null };
  /** What the update saved before it changed anything (see snapshot.ts); the way back restores it. */
  snapshot?: Snapshot;
  /**
   * The database migrations this update meant to run (`planned`, written before the first) and
   * those that finished (`done`, written after each one's transaction committed). On PostgreSQL,
   * which has no snapshot, the way back runs the Downs of these and of nothing else.
   */
  migrations?: { planned: string[]; done: string[] };
}

/** A way back that failed: the instance runs what matches its schema, and a person must finish the job. */
export interface Attention {
  at: string;
  /** The version the instance runs now (the one whose schema the database has), or null. */
  running: string | null;
  /** What failed, with the error. */
  problem: string;
  /** The exact manual steps, in order. */
  fix: string[];
}

export interface KeptRelease {
  version: string;
  installedAt: string;
  channel: string;
  security: string | null;
  commit: string | null;
  buildTime?: string;
}

export interface Staged {
  version: string;
  channel: string;
  security: string | null;
  stagedAt: string;
  /** When the agent means to apply it (the next window), or null for "now". */
  applyAt: string | null;
  notes: string;
}

export interface AgentState {
  schema: 1;
  current: string | null;
  kept: KeptRelease[];
  staged: Staged | null;
  txn: Transaction | null;
  /** Versions whose update failed and was rolled back: not retried automatically. */
  rejected: Record<string, string>;
  lastCheck: { at: string; available: string | null; error: string | null } | null;
  /** Set when a way back failed; cleared by the next committed update or rollback. */
  attention: Attention | null;
}

export const emptyState = (): AgentState => ({
  schema: 1,
  current: null,
  kept: [],
  staged: null,
  txn: null,
  rejected: {},
  lastCheck: null,
  attention: null,
});

export async function readState(path: string): Promise<AgentState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  try {
    const s = JSON.parse(text) as AgentState;
    if (s.schema !== 1) throw new Error(`schema ${String(s.schema)}`);
    return { ...emptyState(), ...s };
  } catch (error) {
    throw new SlipwayError(
      'STATE_INVALID',
      `${path} is damaged (${(error as Error).message}); restore it from a backup or reinstall`,
      { cause: error },
    );
  }
}

/** Atomic (temp file, fsync, rename): after a crash the file holds the old state or the new one. */
export async function writeState(path: string, state: AgentState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

export interface HistoryEntry {
  at: string;
  event:
    | 'installed'
    | 'updated'
    | 'rolled-back'
    | 'update-failed'
    | 'recovered'
    | 'rejected'
    | 'staged'
    | 'checked'
    | 'config-changed'
    | 'attention';
  from?: string | null;
  to?: string | null;
  reason?: string;
  ms?: number;
  [key: string]: unknown;
}

export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  await appendFile(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export async function readHistory(path: string): Promise<HistoryEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const out: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as HistoryEntry);
    } catch {
      // A line cut short by a crash: skip it.
    }
  }
  return out;
}
