import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlipwayError } from '../errors.ts';
import { parseMigration, parseMigrationName } from './parse.ts';
import { planMigrations } from './plan.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return `${(e as SlipwayError).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('parseMigration', () => {
  it('reads goose sections, statements and their lines', () => {
    const m = parseMigration(
      '00002_users.sql',
      `-- a comment before anything
-- +goose Up
CREATE TABLE users (
  id integer PRIMARY KEY,
  name text NOT NULL -- the display name; kept short
);
INSERT INTO users VALUES (1, 'a;b'); -- trailing comment

-- +goose Down
DROP TABLE users;
`,
    );
    assert.equal(m.version, 2n);
    assert.equal(m.name, 'users');
    assert.deepEqual(
      m.up.map((s) => s.line),
      [3, 7],
    );
    assert.match(m.up[0]!.sql, /^CREATE TABLE users \(\n {2}id integer PRIMARY KEY,/);
    assert.deepEqual(m.down, [{ sql: 'DROP TABLE users;', line: 10 }]);
    assert.equal(m.noTransaction, false);
  });

  it('keeps StatementBegin/End blocks whole (a PL/pgSQL function)', () => {
    const m = parseMigration(
      '20240101120000_fn.sql',
      `-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION touch();
`,
    );
    assert.equal(m.version, 20240101120000n);
    assert.equal(m.up.length, 1);
    assert.match(m.up[0]!.sql, /RETURN NEW;\nEND;\n\$\$ LANGUAGE plpgsql;$/);
    assert.equal(m.up[0]!.line, 3);
  });

  it('reads NO TRANSACTION and ENVSUB', () => {
    const m = parseMigration(
      '3_idx.sql',
      "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose ENVSUB ON\nCREATE INDEX CONCURRENTLY i ON ${TABLE} (${COL:-id});\n-- +goose ENVSUB OFF\nSELECT '${TABLE}';\n",
      { TABLE: 'users' },
    );
    assert.equal(m.noTransaction, true);
    assert.deepEqual(
      m.up.map((s) => s.sql),
      ['CREATE INDEX CONCURRENTLY i ON users (id);', "SELECT '${TABLE}';"],
    );
  });

  it('names the file and line of a malformed annotation', () => {
    assert.equal(
      code(() => parseMigration('1_a.sql', '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n')),
      'MIGRATION_MALFORMED: 1_a.sql:3: StatementBegin without StatementEnd',
    );
    assert.equal(
      code(() => parseMigration('1_a.sql', '-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n')),
      'MIGRATION_MALFORMED: 1_a.sql:3: StatementEnd without StatementBegin',
    );
    assert.match(
      code(() => parseMigration('1_a.sql', '-- +goose Up\n-- +goose Upp\n')),
      /^MIGRATION_MALFORMED: 1_a\.sql:2: unknown annotation "-- \+goose Upp"/,
    );
    assert.equal(
      code(() => parseMigration('1_a.sql', 'SELECT 1;\n')),
      'MIGRATION_MALFORMED: 1_a.sql:1: SQL before -- +goose Up',
    );
    assert.equal(
      code(() => parseMigration('1_a.sql', '-- +goose Down\nSELECT 1;\n')),
      'MIGRATION_MALFORMED: 1_a.sql:1: no -- +goose Up annotation',
    );
    assert.match(
      code(() => parseMigration('1_a.sql', '-- +goose Up\nSELECT 1\n\n-- +goose Down\n')),
      /^MIGRATION_MALFORMED: 1_a\.sql:2: a statement does not end with a semicolon/,
    );
    assert.match(
      code(() => parseMigration('create_users.sql', '')),
      /^MIGRATION_NAME: /,
    );
  });

  it('reads file names', () => {
    assert.deepEqual(parseMigrationName('00001_initial_schema.sql'), { version: 1n, name: 'initial_schema' });
    assert.equal(parseMigrationName('00000_zero.sql'), null);
    assert.equal(parseMigrationName('README.md'), null);
  });

  it('never throws anything but a SlipwayError, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              '-- +goose Up',
              '-- +goose Down',
              '-- +goose StatementBegin',
              '-- +goose StatementEnd',
              'SELECT 1;',
              'SELECT 2',
              '',
              '-- c',
            ),
            fc.string(),
          ),
          { maxLength: 12 },
        ),
        (lines) => {
          try {
            parseMigration('1_x.sql', lines.join('\n'));
          } catch (error) {
            assert.ok(error instanceof SlipwayError);
          }
        },
      ),
    );
  });
});

describe('planMigrations', () => {
  const all = [1n, 2n, 3n, 4n].map((version) => ({ version, name: `m${version}` }));
  const versions = (steps: { migration: { version: bigint }; direction: string }[]) =>
    steps.map((s) => `${s.direction} ${s.migration.version}`);
  it('plans up, up-to, down, down-to and redo', () => {
    assert.deepEqual(versions(planMigrations(all, new Set([1n]), { kind: 'up' })), ['up 2', 'up 3', 'up 4']);
    assert.deepEqual(versions(planMigrations(all, new Set([1n]), { kind: 'up-to', version: 3n })), ['up 2', 'up 3']);
    assert.deepEqual(versions(planMigrations(all, new Set([1n, 2n, 3n]), { kind: 'down' })), ['down 3']);
    assert.deepEqual(versions(planMigrations(all, new Set([1n, 2n, 3n]), { kind: 'down-to', version: 0n })), [
      'down 3',
      'down 2',
      'down 1',
    ]);
    assert.deepEqual(versions(planMigrations(all, new Set([1n, 2n]), { kind: 'redo' })), ['down 2', 'up 2']);
    assert.deepEqual(versions(planMigrations(all, new Set([1n, 2n, 3n, 4n]), { kind: 'up' })), []);
  });
  it('refuses migrations missing from the middle unless allowed', () => {
    assert.match(
      code(() => planMigrations(all, new Set([1n, 3n]), { kind: 'up' })),
      /^MIGRATION_OUT_OF_ORDER: found 1 migration older than the newest applied one that never ran: 2_m2/,
    );
    assert.deepEqual(versions(planMigrations(all, new Set([1n, 3n]), { kind: 'up', allowMissing: true })), [
      'up 2',
      'up 4',
    ]);
  });
  it('refuses duplicates, unknown targets and applied versions without a file', () => {
    assert.match(
      code(() => planMigrations([...all, { version: 2n, name: 'again' }], new Set(), { kind: 'up' })),
      /^MIGRATION_DUPLICATE: two migrations have version 2/,
    );
    assert.match(
      code(() => planMigrations(all, new Set(), { kind: 'up-to', version: 9n })),
      /^MIGRATION_UNKNOWN_VERSION/,
    );
    assert.match(
      code(() => planMigrations(all, new Set([7n]), { kind: 'down' })),
      /^MIGRATION_FILE_MISSING: version 7 is applied/,
    );
  });
});
