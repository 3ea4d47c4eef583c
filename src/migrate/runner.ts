import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { parseMigration, parseMigrationName, type Migration } from '../core/migrate/parse.ts';
import {
  checkUniqueVersions,
  missingMigrations,
  planMigrations,
  type MigrateCommand,
  type MigrationStep,
} from '../core/migrate/plan.ts';
import type { MigrationDriver } from './driver.ts';
import { PostgresDriver } from './postgres.ts';
import { SqliteDriver } from './sqlite.ts';

/** Whether `--db` / app.database names a PostgreSQL server (else it is a SQLite file). */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

/** `--db`: a postgres:// URL, or a SQLite file path (optionally written sqlite:path). */
export function openDriver(db: string): MigrationDriver {
  if (isPostgresUrl(db)) return new PostgresDriver(db);
  return new SqliteDriver(db.replace(/^sqlite:(\/\/)?/, ''));
}

/** Every migration in a folder, parsed and checked (a malformed one stops everything). */
export async function loadMigrations(
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new SlipwayError(
      'MIGRATIONS_DIR',
      `cannot read the migrations folder ${dir}: ${(error as NodeJS.ErrnoException).code}; pass --dir <folder>`,
      { cause: error },
    );
  }
  const files = names.filter((n) => n.endsWith('.sql') && parseMigrationName(n) !== null).sort();
  const migrations: Migration[] = [];
  for (const f of files) migrations.push(parseMigration(f, await readFile(join(dir, f), 'utf8'), env));
  checkUniqueVersions(migrations);
  return migrations.sort((a, b) => (a.version < b.version ? -1 : 1));
}

export interface StatusRow {
  version: string;
  name: string;
  file: string;
  applied: boolean;
  appliedAt: string | null;
  /** Older than the newest applied one and never run. */
  missing: boolean;
}

export interface MigrateResult {
  /** Highest applied version after the run (0 when none). */
  version: string;
  steps: { version: string; name: string; file: string; direction: 'up' | 'down'; ms: number; sql?: string[] }[];
  dryRun: boolean;
}

export interface RunOptions {
  db: string;
  dir: string;
  command: MigrateCommand;
  dryRun?: boolean;
  lockTimeoutMs?: number;
  env?: Readonly<Record<string, string | undefined>>;
  onStep?: (step: MigrationStep<Migration>, ms: number) => void;
  /** A driver to use instead of opening `db` (the caller closes it). */
  driver?: MigrationDriver;
}

function highest(applied: Iterable<bigint>): bigint {
  let max = 0n;
  for (const v of applied) if (v > max) max = v;
  return max;
}

/** Runs a migrate command under the migration lock: one migration (and its version row) per transaction. */
export async function runMigrations(options: RunOptions): Promise<MigrateResult> {
  const migrations = await loadMigrations(options.dir, options.env);
  const driver = options.driver ?? openDriver(options.db);
  try {
    await driver.lock(options.lockTimeoutMs ?? 60_000);
    await driver.ensureVersionTable();
    const applied = new Set((await driver.appliedVersions()).keys());
    const plan = planMigrations(migrations, applied, options.command);
    const steps: MigrateResult['steps'] = [];
    for (const step of plan) {
      const statements = step.direction === 'up' ? step.migration.up : step.migration.down;
      if (options.dryRun) {
        steps.push({
          version: step.migration.version.toString(),
          name: step.migration.name,
          file: step.migration.file,
          direction: step.direction,
          ms: 0,
          sql: statements.map((s) => s.sql),
        });
        continue;
      }
      const started = performance.now();
      await driver.apply({
        version: step.migration.version,
        direction: step.direction,
        file: join(options.dir, step.migration.file),
        statements,
        noTransaction: step.migration.noTransaction,
      });
      const ms = performance.now() - started;
      if (step.direction === 'up') applied.add(step.migration.version);
      else applied.delete(step.migration.version);
      steps.push({
        version: step.migration.version.toString(),
        name: step.migration.name,
        file: step.migration.file,
        direction: step.direction,
        ms,
      });
      options.onStep?.(step, ms);
    }
    return { version: highest(applied).toString(), steps, dryRun: options.dryRun === true };
  } finally {
    if (options.driver) await driver.unlock();
    else await driver.close();
  }
}

/** The highest applied migration version of a database (0 when none). */
export async function databaseVersion(db: string): Promise<bigint> {
  const driver = openDriver(db);
  try {
    await driver.ensureVersionTable();
    return highest((await driver.appliedVersions()).keys());
  } finally {
    await driver.close();
  }
}

export async function migrationStatus(db: string, dir: string): Promise<{ version: string; rows: StatusRow[] }> {
  const migrations = await loadMigrations(dir);
  const driver = openDriver(db);
  try {
    await driver.ensureVersionTable();
    const applied = await driver.appliedVersions();
    const missing = new Set(missingMigrations(migrations, new Set(applied.keys())).map((m) => m.version));
    const rows = migrations.map((m) => ({
      version: m.version.toString(),
      name: m.name,
      file: m.file,
      applied: applied.has(m.version),
      appliedAt: applied.get(m.version) ?? null,
      missing: missing.has(m.version),
    }));
    return { version: highest(applied.keys()).toString(), rows };
  } finally {
    await driver.close();
  }
}
