import { DatabaseSync } from 'node:sqlite';
import { SlipwayError } from '../core/errors.ts';
import { acquireLock } from '../io/lock-file.ts';
import { foldVersionRows, type ApplyStep, type MigrationDriver } from './driver.ts';
import { statementFailed } from './errors.ts';

// goose's SQLite layout for goose_db_version.
const CREATE = `CREATE TABLE goose_db_version (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id INTEGER NOT NULL,
  is_applied INTEGER NOT NULL,
  tstamp TIMESTAMP DEFAULT (datetime('now'))
)`;

/** SQLite through node:sqlite (SQLite built into Node, no native addon to compile). */
export class SqliteDriver implements MigrationDriver {
  readonly dialect = 'sqlite' as const;
  readonly #path: string;
  readonly #db: DatabaseSync;
  #release: (() => Promise<void>) | null = null;

  constructor(path: string) {
    this.#path = path;
    try {
      this.#db = new DatabaseSync(path, { timeout: 5000 });
    } catch (error) {
      throw new SlipwayError('DB_OPEN', `cannot open the SQLite database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get #lockPath(): string {
    return `${this.#path}.migrate-lock`;
  }

  /** A lock file beside the database holding the owner's pid; a dead owner's lock is taken over. */
  async lock(timeoutMs: number): Promise<void> {
    if (this.#path === ':memory:') return;
    const path = this.#lockPath;
    this.#release = await acquireLock(path, {
      timeoutMs,
      held: (owner) =>
        new SlipwayError(
          'MIGRATION_LOCKED',
          `another migration run (pid ${owner ?? 'unknown'}) holds ${path}; wait for it, or remove the file if that process is gone`,
        ),
    });
  }

  async unlock(): Promise<void> {
    await this.#release?.();
    this.#release = null;
  }

  ensureVersionTable(): Promise<void> {
    const exists = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'")
      .get();
    if (!exists) {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        this.#db.exec(CREATE);
        this.#db.exec('INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)');
        this.#db.exec('COMMIT');
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    }
    return Promise.resolve();
  }

  appliedVersions(): Promise<Map<bigint, string | null>> {
    const rows = this.#db
      .prepare('SELECT version_id, is_applied, tstamp FROM goose_db_version ORDER BY id DESC')
      .all() as { version_id: number; is_applied: number; tstamp: string | null }[];
    return Promise.resolve(foldVersionRows(rows));
  }

  #record(step: ApplyStep): void {
    if (step.direction === 'up')
      this.#db.prepare('INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)').run(step.version);
    else this.#db.prepare('DELETE FROM goose_db_version WHERE version_id = ?').run(step.version);
  }

  apply(step: ApplyStep): Promise<void> {
    if (step.noTransaction) {
      for (const s of step.statements) {
        try {
          this.#db.exec(s.sql);
        } catch (error) {
          return Promise.reject(statementFailed(step, s, error));
        }
      }
      this.#record(step);
      return Promise.resolve();
    }
    this.#db.exec('BEGIN IMMEDIATE');
    for (const s of step.statements) {
      try {
        this.#db.exec(s.sql);
      } catch (error) {
        this.#db.exec('ROLLBACK');
        return Promise.reject(statementFailed(step, s, error));
      }
    }
    try {
      this.#record(step);
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.unlock();
    if (this.#db.isOpen) this.#db.close();
  }
}
