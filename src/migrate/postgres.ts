import type pg from 'pg';
import { SlipwayError } from '../core/errors.ts';
import { foldVersionRows, type ApplyStep, type MigrationDriver } from './driver.ts';
import { statementFailed } from './errors.ts';

// goose's advisory lock id, so that goose and Slipway never migrate one database at once.
const LOCK_ID = '5887940537704921958';

// goose's PostgreSQL layout for goose_db_version.
const CREATE = `CREATE TABLE IF NOT EXISTS goose_db_version (
  id serial NOT NULL,
  version_id bigint NOT NULL,
  is_applied boolean NOT NULL,
  tstamp timestamp NULL DEFAULT now(),
  PRIMARY KEY (id)
)`;

/** Hides the password of a connection URL, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** PostgreSQL through `pg`; a session advisory lock keeps two runners apart. */
export class PostgresDriver implements MigrationDriver {
  readonly dialect = 'postgres' as const;
  // pg is loaded on first use: SQLite users (the default) never pay for it.
  #pg: pg.Client | null = null;
  readonly #url: string;
  #connected: Promise<void> | null = null;
  #locked = false;

  constructor(url: string) {
    this.#url = url;
  }

  get #client(): pg.Client {
    if (this.#pg === null) throw new SlipwayError('BUG', 'the PostgreSQL client is used before it connected');
    return this.#pg;
  }

  async #open(): Promise<void> {
    const { default: pgModule } = await import('pg');
    this.#pg = new pgModule.Client({ connectionString: this.#url });
    // A dropped connection is reported by the query that notices it.
    this.#pg.on('error', () => undefined);
    await this.#pg.connect();
  }

  async #connect(): Promise<void> {
    this.#connected ??= this.#open().then(
      () => undefined,
      (error: unknown) => {
        throw new SlipwayError('DB_OPEN', `cannot connect to ${redactUrl(this.#url)}: ${(error as Error).message}`, {
          cause: error,
        });
      },
    );
    await this.#connected;
  }

  async lock(timeoutMs: number): Promise<void> {
    await this.#connect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.#client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LOCK_ID]);
      if (r.rows[0]?.ok) {
        this.#locked = true;
        return;
      }
      if (Date.now() > deadline)
        throw new SlipwayError(
          'MIGRATION_LOCKED',
          `another migration run holds the advisory lock on ${redactUrl(this.#url)}; wait for it to finish`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async unlock(): Promise<void> {
    if (!this.#locked) return;
    this.#locked = false;
    await this.#client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_ID]);
  }

  async ensureVersionTable(): Promise<void> {
    await this.#connect();
    const exists = await this.#client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'goose_db_version'",
    );
    if (exists.rowCount === 0) {
      await this.#client.query('BEGIN');
      try {
        await this.#client.query(CREATE);
        await this.#client.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)');
        await this.#client.query('COMMIT');
      } catch (error) {
        await this.#client.query('ROLLBACK');
        throw error;
      }
    }
  }

  async appliedVersions(): Promise<Map<bigint, string | null>> {
    await this.#connect();
    const r = await this.#client.query<{ version_id: string; is_applied: boolean; tstamp: Date | null }>(
      'SELECT version_id, is_applied, tstamp FROM goose_db_version ORDER BY id DESC',
    );
    return foldVersionRows(r.rows);
  }

  async #record(step: ApplyStep): Promise<void> {
    if (step.direction === 'up')
      await this.#client.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)', [
        step.version.toString(),
      ]);
    else await this.#client.query('DELETE FROM goose_db_version WHERE version_id = $1', [step.version.toString()]);
  }

  async apply(step: ApplyStep): Promise<void> {
    await this.#connect();
    if (!step.noTransaction) return this.#applyBatch(step);
    for (const s of step.statements) {
      try {
        await this.#client.query(s.sql);
      } catch (error) {
        if (!step.noTransaction) await this.#client.query('ROLLBACK');
        throw statementFailed(step, s, error);
      }
    }
    try {
      await this.#record(step);
      if (!step.noTransaction) await this.#client.query('COMMIT');
    } catch (error) {
      if (!step.noTransaction) await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * A migration, its version row and the transaction around them as one simple query: one round
   * trip instead of one per statement. On failure the transaction is rolled back and the
   * statements are replayed one by one, in a transaction that is always rolled back, only to
   * tell which statement failed.
   */
  async #applyBatch(step: ApplyStep): Promise<void> {
    const record =
      step.direction === 'up'
        ? `INSERT INTO goose_db_version (version_id, is_applied) VALUES (${step.version.toString()}, true);`
        : `DELETE FROM goose_db_version WHERE version_id = ${step.version.toString()};`;
    const batch = [
      'BEGIN;',
      ...step.statements.map((s) => (s.sql.trimEnd().endsWith(';') ? s.sql : `${s.sql};`)),
      record,
      'COMMIT;',
    ].join('\n');
    try {
      await this.#client.query(batch);
      return;
    } catch (error) {
      await this.#client.query('ROLLBACK').catch(() => undefined);
      await this.#client.query('BEGIN');
      try {
        for (const s of step.statements) {
          try {
            await this.#client.query(s.sql);
          } catch (located) {
            throw statementFailed(step, s, located);
          }
        }
      } finally {
        await this.#client.query('ROLLBACK').catch(() => undefined);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#connected === null) return;
    await this.unlock().catch(() => undefined);
    await this.#pg?.end();
  }
}
