import { SlipwayError } from '../core/errors.ts';
import type { MigrateCommand } from '../core/migrate/plan.ts';
import { isPostgresUrl, runMigrations, type MigrateResult } from '../migrate/runner.ts';
import { dryRun, json, type RunContext } from './command.ts';
import type { Output } from './output.ts';

/** The options every `slipway migrate` command takes. */
export const dbOptions = {
  db: { flags: '--db <database>', description: 'SQLite file or postgres:// URL (default: $SLIPWAY_DB)' },
  dir: { flags: '--dir <folder>', description: 'the migrations folder', default: 'migrations' },
  json,
} as const;

/** … and those of the commands that change the database. */
export const changeOptions = {
  ...dbOptions,
  dryRun,
  lockTimeout: { flags: '--lock-timeout <seconds>', description: 'how long to wait for another runner', default: '60' },
} as const;

export const allowMissing = {
  flags: '--allow-missing',
  description: 'also run migrations older than the newest applied one',
} as const;

export function databaseOf(ctx: RunContext, db: string | undefined): string {
  const value = db ?? ctx.io.env.SLIPWAY_DB;
  if (value === undefined || value === '')
    throw new SlipwayError('USAGE', 'no database: pass --db <sqlite file or postgres:// URL> (or set SLIPWAY_DB)');
  return isPostgresUrl(value) ? value : ctx.path(value);
}

export function migrationVersion(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^\d+$/.test(text))
    throw new SlipwayError(
      'USAGE',
      `${what} expects a migration version (digits, e.g. 3 or 20240101120000), got "${text ?? ''}"`,
    );
  return BigInt(text);
}

function report(out: Output, r: MigrateResult): void {
  const lines = r.steps.map((s) =>
    r.dryRun
      ? `-- would migrate ${s.direction} ${s.file}\n${(s.sql ?? []).join('\n')}`
      : `${s.direction === 'up' ? 'OK  ' : 'DOWN'} ${s.file} (${s.ms.toFixed(1)} ms)`,
  );
  lines.push(
    r.steps.length === 0
      ? `no migrations to run; the database is at version ${r.version}`
      : r.dryRun
        ? `(dry run: nothing was changed)`
        : `the database is at version ${r.version}`,
  );
  out.result(lines.join('\n'), r);
}

/** Runs one migration command with the shared flags and reports each step. */
export async function runMigrationCommand(
  ctx: RunContext,
  flags: { db?: string | undefined; dir: string; dryRun?: boolean | undefined; lockTimeout: string },
  command: MigrateCommand,
): Promise<number> {
  const lockTimeoutMs = Number(flags.lockTimeout) * 1000;
  if (!(lockTimeoutMs >= 0))
    throw new SlipwayError('USAGE', `--lock-timeout expects seconds, got "${flags.lockTimeout}"`);
  const r = await runMigrations({
    db: databaseOf(ctx, flags.db),
    dir: ctx.path(flags.dir),
    command,
    dryRun: flags.dryRun === true,
    lockTimeoutMs,
    onStep: (step, ms) =>
      ctx.out.progress(`${step.direction} ${step.migration.version}_${step.migration.name} (${ms.toFixed(0)} ms)`),
  });
  report(ctx.out, r);
  return 0;
}
