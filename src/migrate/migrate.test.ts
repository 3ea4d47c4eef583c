import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import pg from 'pg';
import { SlipwayError } from '../core/errors.ts';
import { freshDatabase } from '../../test/postgres.ts';
import { tempDir } from '../../test/helpers.ts';
import { migrationStatus, runMigrations } from './runner.ts';

interface Dialect {
  name: 'sqlite' | 'postgres';
  db(): Promise<string>;
  query(db: string, sql: string): Promise<Record<string, unknown>[]>;
}

const sqlite: Dialect = {
  name: 'sqlite',
  db: async () => join(await tempDir(), 'app.db'),
  query: (db, sql) => {
    const d = new DatabaseSync(db);
    try {
      return Promise.resolve(d.prepare(sql).all() as Record<string, unknown>[]);
    } finally {
      d.close();
    }
  },
};

const postgres: Dialect = {
  name: 'postgres',
  db: freshDatabase,
  query: async (db, sql) => {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  },
};

async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(await tempDir(), 'migrations');
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const BASIC = {
  '00001_initial_schema.sql':
    '-- +goose Up\nCREATE TABLE sites (id integer PRIMARY KEY, name text NOT NULL);\n\n-- +goose Down\nDROP TABLE sites;\n',
  '00002_add_audit_index.sql':
    '-- +goose Up\nCREATE INDEX sites_name ON sites (name);\n-- +goose Down\nDROP INDEX sites_name;\n',
  '00003_version_manager_tables.sql':
    "-- +goose Up\nCREATE TABLE releases (version text PRIMARY KEY);\nINSERT INTO releases VALUES ('0.1.0');\n-- +goose Down\nDROP TABLE releases;\n",
};

async function tables(d: Dialect, db: string): Promise<string[]> {
  const rows =
    d.name === 'sqlite'
      ? await d.query(
          db,
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
      : await d.query(
          db,
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
  return rows.map((r) => String(r.name));
}

for (const d of [sqlite, postgres]) {
  describe(`migrations on ${d.name}`, () => {
    it('goes up, does nothing the second time, and reports status', async () => {
      const db = await d.db();
      const dir = await folder(BASIC);
      const first = await runMigrations({ db, dir, command: { kind: 'up' } });
      assert.deepEqual(
        first.steps.map((s) => `${s.direction} ${s.version}`),
        ['up 1', 'up 2', 'up 3'],
      );
      assert.equal(first.version, '3');
      const second = await runMigrations({ db, dir, command: { kind: 'up' } });
      assert.deepEqual([second.steps, second.version], [[], '3']);
      assert.deepEqual(await tables(d, db), ['goose_db_version', 'releases', 'sites']);
      const status = await migrationStatus(db, dir);
      assert.deepEqual(
        status.rows.map((r) => [r.version, r.applied]),
        [
          ['1', true],
          ['2', true],
          ['3', true],
        ],
      );
      assert.ok(status.rows.every((r) => r.appliedAt !== null));
    });

    it('goes down to 0 and back up, and redoes the last one', async () => {
      const db = await d.db();
      const dir = await folder(BASIC);
      await runMigrations({ db, dir, command: { kind: 'up' } });
      const down = await runMigrations({ db, dir, command: { kind: 'down-to', version: 0n } });
      assert.deepEqual(
        down.steps.map((s) => `${s.direction} ${s.version}`),
        ['down 3', 'down 2', 'down 1'],
      );
      assert.deepEqual(await tables(d, db), ['goose_db_version']);
      await runMigrations({ db, dir, command: { kind: 'up-to', version: 2n } });
      const redo = await runMigrations({ db, dir, command: { kind: 'redo' } });
      assert.deepEqual(
        redo.steps.map((s) => `${s.direction} ${s.version}`),
        ['down 2', 'up 2'],
      );
      assert.equal((await migrationStatus(db, dir)).version, '2');
    });

    it('rolls back a failing migration in the middle of a run and names file, line and statement', async () => {
      const db = await d.db();
      const dir = await folder({
        ...BASIC,
        '00003_version_manager_tables.sql':
          '-- +goose Up\nCREATE TABLE releases (version text PRIMARY KEY);\n\nINSERT INTO no_such_table VALUES (1);\n-- +goose Down\nDROP TABLE releases;\n',
        '00004_later.sql': '-- +goose Up\nCREATE TABLE later (id integer);\n-- +goose Down\nDROP TABLE later;\n',
      });
      await assert.rejects(runMigrations({ db, dir, command: { kind: 'up' } }), (e: SlipwayError) => {
        assert.equal(e.code, 'MIGRATION_FAILED');
        assert.match(
          e.message,
          /00003_version_manager_tables\.sql:4: migrating up to 3 failed: .*no_such_table.*\(the migration was rolled back\)/,
        );
        assert.deepEqual(e.details, ['statement: INSERT INTO no_such_table VALUES (1);']);
        return true;
      });
      // 1 and 2 stay applied; nothing of 3 (its table) or 4 is left.
      assert.deepEqual(await tables(d, db), ['goose_db_version', 'sites']);
      assert.equal((await migrationStatus(db, dir)).version, '2');
    });

    it('continues a database first migrated by goose (its own table layout and rows)', async () => {
      const db = await d.db();
      const dir = await folder(BASIC);
      const ddl =
        d.name === 'sqlite'
          ? "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))"
          : 'CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))';
      const t = d.name === 'sqlite' ? '1' : 'true';
      const f = d.name === 'sqlite' ? '0' : 'false';
      // goose applied 1 and 2; an older goose recorded a down of 2 as a row, then 2 again.
      for (const sql of [
        ddl,
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, ${t})`,
        'CREATE TABLE sites (id integer PRIMARY KEY, name text NOT NULL)',
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, ${t})`,
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, ${t})`,
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, ${f})`,
        'CREATE INDEX sites_name ON sites (name)',
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, ${t})`,
      ])
        await d.query(db, sql);
      const r = await runMigrations({ db, dir, command: { kind: 'up' } });
      assert.deepEqual(
        r.steps.map((s) => s.version),
        ['3'],
      );
      // And back: goose reads what Slipway wrote the same way (newest row per version decides).
      const rows = await d.query(db, 'SELECT version_id, is_applied FROM goose_db_version ORDER BY id');
      assert.deepEqual(rows.map((row) => [String(row.version_id), Boolean(row.is_applied)]).slice(-1), [['3', true]]);
    });

    it('reports malformed annotations before touching the database', async () => {
      const db = await d.db();
      const dir = await folder({ ...BASIC, '00004_bad.sql': '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n' });
      await assert.rejects(
        runMigrations({ db, dir, command: { kind: 'up' } }),
        (e: SlipwayError) =>
          e.code === 'MIGRATION_MALFORMED' && /00004_bad\.sql:3: StatementBegin without StatementEnd/.test(e.message),
      );
      assert.deepEqual(await tables(d, db), []);
    });

    it('prints the SQL with dry-run and changes nothing', async () => {
      const db = await d.db();
      const dir = await folder(BASIC);
      const r = await runMigrations({ db, dir, command: { kind: 'up' }, dryRun: true });
      assert.deepEqual(r.steps[0]!.sql, ['CREATE TABLE sites (id integer PRIMARY KEY, name text NOT NULL);']);
      assert.equal((await migrationStatus(db, dir)).version, '0');
    });

    it('lets one of two concurrent runners migrate; the other then finds nothing to do', async () => {
      const db = await d.db();
      const dir = await folder(BASIC);
      const [a, b] = await Promise.all([
        runMigrations({ db, dir, command: { kind: 'up' } }),
        runMigrations({ db, dir, command: { kind: 'up' } }),
      ]);
      assert.deepEqual([a.steps.length + b.steps.length, a.version, b.version], [3, '3', '3']);
      const rows = await d.query(db, 'SELECT version_id FROM goose_db_version WHERE version_id > 0');
      assert.equal(rows.length, 3, 'every version recorded once');
    });

    it('refuses a migration missing from the middle unless allowed', async () => {
      const db = await d.db();
      const dir = await folder({
        '00001_a.sql': BASIC['00001_initial_schema.sql'],
        '00003_c.sql': BASIC['00003_version_manager_tables.sql'],
      });
      await runMigrations({ db, dir, command: { kind: 'up' } });
      await writeFile(join(dir, '00002_b.sql'), BASIC['00002_add_audit_index.sql']);
      await assert.rejects(
        runMigrations({ db, dir, command: { kind: 'up' } }),
        (e: SlipwayError) => e.code === 'MIGRATION_OUT_OF_ORDER',
      );
      const r = await runMigrations({ db, dir, command: { kind: 'up', allowMissing: true } });
      assert.deepEqual(
        r.steps.map((s) => s.version),
        ['2'],
      );
    });
  });
}

describe('postgres only', () => {
  it('runs a PL/pgSQL function from a StatementBegin/End block, and NO TRANSACTION migrations', async () => {
    const db = await postgres.db();
    const dir = await folder({
      '00001_sites.sql':
        '-- +goose Up\nCREATE TABLE sites (id serial PRIMARY KEY, name text, updated timestamptz);\n-- +goose Down\nDROP TABLE sites;\n',
      '00002_touch.sql': `-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER sites_touch BEFORE INSERT ON sites FOR EACH ROW EXECUTE FUNCTION touch();

-- +goose Down
DROP TRIGGER sites_touch ON sites;
DROP FUNCTION touch();
`,
      '00003_concurrent_index.sql':
        '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY sites_name ON sites (name);\n-- +goose Down\nDROP INDEX CONCURRENTLY sites_name;\n',
    });
    await runMigrations({ db, dir, command: { kind: 'up' } });
    await postgres.query(db, "INSERT INTO sites (name) VALUES ('a')");
    const [row] = await postgres.query(db, 'SELECT updated FROM sites');
    assert.ok(row!.updated instanceof Date, 'the trigger function ran');
    await runMigrations({ db, dir, command: { kind: 'down-to', version: 0n } });
    assert.deepEqual(await tables(postgres, db), ['goose_db_version']);
  });
});
