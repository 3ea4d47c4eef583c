import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { parseMigrationName } from '../../core/migrate/parse.ts';
import type { MigrateCommand } from '../../core/migrate/plan.ts';
import { exists, writeFileAtomic } from '../../io/atomic-write.ts';
import { migrateConfigFile } from '../../migrate/config-file.ts';
import { loadMigrations, migrationStatus, runMigrations, type MigrateResult } from '../../migrate/runner.ts';
import { createOutput, type Output } from '../output.ts';

interface MigrateFlags {
  db?: string;
  dir?: string;
  json?: boolean;
  dryRun?: boolean;
  allowMissing?: boolean;
  lockTimeout?: string;
  sequential?: boolean;
}

function dir(flags: MigrateFlags): string {
  return resolve(flags.dir ?? 'migrations');
}

function db(flags: MigrateFlags): string {
  const value = flags.db ?? process.env.SLIPWAY_DB;
  if (value === undefined || value === '')
    throw new SlipwayError('USAGE', 'no database: pass --db <sqlite file or postgres:// URL> (or set SLIPWAY_DB)');
  return value;
}

function version(text: string | undefined, what: string): bigint {
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

async function run(flags: MigrateFlags, command: MigrateCommand): Promise<number> {
  const out = createOutput(flags.json === true);
  const lockTimeoutMs = flags.lockTimeout === undefined ? undefined : Number(flags.lockTimeout) * 1000;
  if (lockTimeoutMs !== undefined && !(lockTimeoutMs >= 0))
    throw new SlipwayError('USAGE', `--lock-timeout expects seconds, got "${flags.lockTimeout}"`);
  const r = await runMigrations({
    db: db(flags),
    dir: dir(flags),
    command,
    dryRun: flags.dryRun === true,
    lockTimeoutMs,
    onStep: (step, ms) =>
      out.progress(`${step.direction} ${step.migration.version}_${step.migration.name} (${ms.toFixed(0)} ms)`),
  });
  report(out, r);
  return 0;
}

export const up = (flags: MigrateFlags): Promise<number> =>
  run(flags, { kind: 'up', allowMissing: flags.allowMissing === true });
export const upTo = (flags: MigrateFlags, args: string[]): Promise<number> =>
  run(flags, { kind: 'up-to', version: version(args[0], 'up-to'), allowMissing: flags.allowMissing === true });
export const upByOne = (flags: MigrateFlags): Promise<number> => run(flags, { kind: 'up-by-one' });
export const down = (flags: MigrateFlags): Promise<number> => run(flags, { kind: 'down' });
export const downTo = (flags: MigrateFlags, args: string[]): Promise<number> =>
  run(flags, { kind: 'down-to', version: version(args[0], 'down-to') });
export const redo = (flags: MigrateFlags): Promise<number> => run(flags, { kind: 'redo' });

export async function status(flags: MigrateFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const s = await migrationStatus(db(flags), dir(flags));
  const lines = ['    Applied At                  Migration', '    ======================================='];
  for (const r of s.rows)
    lines.push(
      `    ${(r.applied ? (r.appliedAt ?? 'applied') : r.missing ? 'Pending (missing: older than applied)' : 'Pending').padEnd(28)}-- ${r.file}`,
    );
  lines.push(`database version: ${s.version}`);
  out.result(lines.join('\n'), s);
  return 0;
}

export async function validate(flags: MigrateFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const migrations = await loadMigrations(dir(flags));
  const data = migrations.map((m) => ({
    version: m.version.toString(),
    name: m.name,
    up: m.up.length,
    down: m.down.length,
    noTransaction: m.noTransaction,
  }));
  const noDown = migrations.filter((m) => m.down.length === 0);
  const lines = [`${migrations.length} migration${migrations.length === 1 ? '' : 's'} in ${dir(flags)} are valid`];
  if (noDown.length > 0)
    lines.push(`note: without a Down section (cannot be rolled back): ${noDown.map((m) => m.file).join(', ')}`);
  out.result(lines.join('\n'), { ok: true, migrations: data });
  return 0;
}

function timestamp(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

export async function create(flags: MigrateFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const name = args[0] ?? '';
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new SlipwayError(
      'USAGE',
      `a migration name is letters, digits and underscores (e.g. add_audit_index), got "${name}"`,
    );
  const folder = dir(flags);
  let id = timestamp(new Date());
  if (flags.sequential) {
    const existing = (await exists(folder))
      ? (await readdir(folder)).map((f) => parseMigrationName(f)?.version ?? 0n)
      : [];
    const next = existing.reduce((max, v) => (v > max ? v : max), 0n) + 1n;
    id = next.toString().padStart(5, '0');
  }
  const file = join(folder, `${id}_${name}.sql`);
  const text =
    '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n';
  if (!flags.dryRun) {
    await mkdir(folder, { recursive: true });
    if (await exists(file)) throw new SlipwayError('MIGRATION_EXISTS', `${file} exists already`);
    await writeFileAtomic(file, text);
  }
  out.result(`${flags.dryRun ? 'would create' : 'created'} ${file}`, { file, dryRun: flags.dryRun === true });
  return 0;
}

interface ConfigFlags {
  steps?: string;
  to?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** slipway migrate config <config.json> --steps <config-migrations.json> [--to N] */
export async function config(flags: ConfigFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  if (flags.steps === undefined)
    throw new SlipwayError('USAGE', "pass --steps <config-migrations.json>, the release's config migrations");
  const target = flags.to === undefined ? null : Number(flags.to);
  if (target !== null && !(Number.isInteger(target) && target >= 1))
    throw new SlipwayError('USAGE', `--to expects a config_version (1 or more), got "${flags.to}"`);
  const r = await migrateConfigFile({
    configPath: resolve(args[0]!),
    migrationsPath: resolve(flags.steps),
    target,
    dryRun: flags.dryRun === true,
  });
  for (const w of r.warnings) out.warn(w);
  const lines = [
    ...r.log.map((l) => `  ${l}`),
    r.changed
      ? `${flags.dryRun ? 'would move' : 'moved'} ${args[0]} from config_version ${r.from} to ${r.to}`
      : `${args[0]} is at config_version ${r.to} already`,
  ];
  if (r.archived.length > 0 && !flags.dryRun)
    lines.push(`archived ${r.archived.map((a) => a.key).join(', ')} in ${r.backupPath}`);
  out.result(lines.join('\n'), {
    from: r.from,
    to: r.to,
    changed: r.changed,
    dryRun: flags.dryRun === true,
    log: r.log,
    archived: r.archived,
    warnings: r.warnings,
    config: r.config,
  });
  return 0;
}
