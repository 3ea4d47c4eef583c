// Applying 1,000 small migrations with `slipway migrate up`, against running the same SQL
// straight through `sqlite3` and `psql` (each migration in its own transaction with its
// goose_db_version row, as Slipway does; so the same work).
//
//   node bench/migrate.ts [count]        needs sqlite3 and PostgreSQL (apt-get install sqlite3 postgresql)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from '../test/postgres.ts';

const count = Number(process.argv[2] ?? 1000);
const root = mkdtempSync(join(tmpdir(), 'slipway-bench-migrate-'));
const dir = join(root, 'migrations');
mkdirSync(dir);
const SLIPWAY = join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');

const direct: string[] = [];
for (let i = 1; i <= count; i++) {
  const up = [
    `CREATE TABLE t_${i} (id integer PRIMARY KEY, name text NOT NULL);`,
    `INSERT INTO t_${i} (id, name) VALUES (1, 'row ${i}');`,
  ];
  writeFileSync(
    join(dir, `${String(i).padStart(5, '0')}_table_${i}.sql`),
    `-- +goose Up\n${up.join('\n')}\n\n-- +goose Down\nDROP TABLE t_${i};\n`,
  );
  direct.push('BEGIN;', ...up, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (${i}, TRUE);`, 'COMMIT;');
}
const table = {
  sqlite:
    "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));",
  postgres:
    'CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now());',
};
writeFileSync(join(root, 'sqlite.sql'), [table.sqlite, ...direct].join('\n'));
writeFileSync(join(root, 'postgres.sql'), [table.postgres, ...direct].join('\n'));

function time(command: string, args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr.toString()}`);
  return (performance.now() - started) / 1000;
}

const RUNS = 3;
/** Median of RUNS runs, each on a fresh database, alternating the two tools. */
async function compare(
  fresh: () => Promise<string>,
  slipway: (db: string) => number,
  direct: (db: string) => number,
): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(slipway(await fresh()));
    b.push(direct(await fresh()));
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
  return [median(a), median(b)];
}

const rows: string[] = [];
let n = 0;
const [sqliteSlipway, sqliteDirect] = await compare(
  () => Promise.resolve(join(root, `db-${n++}.sqlite`)),
  (db) => time(process.execPath, [SLIPWAY, 'migrate', 'up', '--db', db, '--dir', dir]),
  (db) => time('sqlite3', [db, `.read ${join(root, 'sqlite.sql')}`]),
);
rows.push(
  `| SQLite | ${sqliteSlipway.toFixed(2)} | ${sqliteDirect.toFixed(2)} (sqlite3) | ${(sqliteSlipway / sqliteDirect).toFixed(2)}x |`,
);
const [pgSlipway, pgDirect] = await compare(
  freshDatabase,
  (db) => time(process.execPath, [SLIPWAY, 'migrate', 'up', '--db', db, '--dir', dir]),
  (db) => time('psql', ['-q', '-X', '-v', 'ON_ERROR_STOP=1', '-d', db, '-f', join(root, 'postgres.sql')]),
);
rows.push(
  `| PostgreSQL | ${pgSlipway.toFixed(2)} | ${pgDirect.toFixed(2)} (psql) | ${(pgSlipway / pgDirect).toFixed(2)}x |`,
);

rmSync(root, { recursive: true, force: true });
console.log(
  `${count} migrations (CREATE TABLE + INSERT each, one transaction each), median of ${RUNS} runs on fresh databases, node ${process.version}\n`,
);
console.log('| database | slipway migrate up (s) | same SQL directly (s) | ratio |\n| --- | ---: | ---: | ---: |');
console.log(rows.join('\n'));
