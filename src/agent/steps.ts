import { mkdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AppManifest } from '../core/app-manifest.ts';
import { configVersion as readConfigVersion, type JsonObject } from '../core/config-migrate/apply.ts';
import { SlipwayError } from '../core/errors.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import { runMigrationsBounded, type BoundedStep, type MigrationWorker } from '../migrate/bounded.ts';
import { migrateConfigFile } from '../migrate/config-file.ts';
import { databaseVersion, isPostgresUrl, loadMigrations, migrationStatus, runMigrations } from '../migrate/runner.ts';
import type { InstanceContext } from './context.ts';
import { waitHealthy, type HealthResult } from './health.ts';
import { expectedConfigVersion, runtimeOf } from './runtime.ts';
import { writeState, type AgentState, type Step, type Transaction } from './state.ts';

/**
 * The steps an update and its way back are made of: config and database migrations (each one
 * journaled), the atomic switch of `current`, a start with a health check, and the journal.
 */

/** The last lines of the app's log, and where it is, for a failure message. */
export async function appLogTail(ctx: InstanceContext, lines = 10): Promise<string> {
  const file = join(ctx.layout.state, 'app.log');
  const text = await readFile(file, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return tail ? `; the last lines of ${file}:\n${tail}` : `; its log is ${file}`;
}

/** Starts a version and waits for it to be healthy; a one-off controller stops it again afterwards. */
export async function startAndCheck(ctx: InstanceContext, version: string): Promise<HealthResult> {
  const { manifest, dir } = await ctx.manifestOf(version);
  const { run, health } = runtimeOf(ctx, version, dir, manifest);
  await mkdir(ctx.layout.data, { recursive: true });
  await ctx.app.start(run);
  return waitHealthy(health);
}

export async function finishOneOff(ctx: InstanceContext): Promise<void> {
  if (!ctx.app.supervised) await ctx.app.stop();
}

/** Atomic switch of `current`: a new symlink beside it, renamed over it. */
export async function switchCurrent(ctx: InstanceContext, version: string | null): Promise<void> {
  if (version === null) {
    await rm(ctx.layout.current, { force: true });
    return;
  }
  const tmp = `${ctx.layout.current}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await symlink(join('releases', version), tmp);
  await rename(tmp, ctx.layout.current);
}

export async function currentLink(ctx: InstanceContext): Promise<string | null> {
  try {
    return basename(await readlink(ctx.layout.current));
  } catch {
    return null;
  }
}

export async function migrateDb(
  ctx: InstanceContext,
  releaseDir: string,
  app: AppManifest,
  to: bigint | 'latest',
  onStep?: (step: BoundedStep) => void | Promise<void>,
  worker?: MigrationWorker,
): Promise<void> {
  if (!app.migrations) return;
  const dir = join(releaseDir, app.migrations);
  if (!(await exists(dir))) return;
  await mkdir(ctx.layout.data, { recursive: true });
  const command = to === 'latest' ? ({ kind: 'up' } as const) : ({ kind: 'down-to', version: to } as const);
  // Steps are journaled in order, each after its transaction committed; the run waits for the last write.
  let written: Promise<void> = Promise.resolve();
  const step = (s: BoundedStep): void => {
    void ctx.log(`migration ${s.direction} ${s.file}`);
    written = written.then(() => onStep?.(s));
  };
  const db = ctx.database();
  try {
    if (!isPostgresUrl(db)) {
      // In a child with a deadline: a statement that never ends must not hold the instance down.
      const deadline = parseDuration(ctx.config.update['migration-timeout']);
      await runMigrationsBounded({ db, dir, command }, deadline, step, worker);
    } else
      await runMigrations({
        db,
        dir,
        command,
        onStep: (s) =>
          step({ direction: s.direction, file: s.migration.file, version: s.migration.version.toString() }),
      });
  } finally {
    await written;
  }
}

/** The migrations of a release the database has not run yet (what an update will run), as version strings. */
export async function pendingMigrations(ctx: InstanceContext, releaseDir: string, app: AppManifest): Promise<string[]> {
  if (!app.migrations) return [];
  const dir = join(releaseDir, app.migrations);
  if (!(await exists(dir))) return [];
  if (!isPostgresUrl(ctx.database()) && !(await exists(ctx.database())))
    return (await loadMigrations(dir)).map((m) => m.version.toString());
  return (await migrationStatus(ctx.database(), dir)).rows.filter((r) => !r.applied).map((r) => r.version);
}

/**
 * The way back on PostgreSQL (no snapshot): the Downs of the migrations this update ran, and of
 * nothing else. A migration applied past the restore point that the journal did not plan was run
 * by someone else, and is left for a person to judge.
 */
export async function undoRecordedMigrations(ctx: InstanceContext, txn: Transaction): Promise<void> {
  const files = await ctx.manifestOf(basename(txn.filesFrom));
  const planned = new Set(txn.migrations?.planned ?? []);
  if (files.manifest.migrations && txn.migrations) {
    const dir = join(files.dir, files.manifest.migrations);
    const target = BigInt(txn.restore.db);
    const stranger = (await migrationStatus(ctx.database(), dir)).rows.filter(
      (r) => r.applied && BigInt(r.version) > target && !planned.has(r.version),
    );
    if (stranger.length > 0)
      throw new SlipwayError(
        'MIGRATION_FAILED',
        `the database has migration(s) ${stranger.map((r) => r.file).join(', ')} applied that this update did not run`,
      );
  }
  await migrateDb(ctx, files.dir, files.manifest, BigInt(txn.restore.db));
}

export async function migrateConfig(
  ctx: InstanceContext,
  releaseDir: string,
  app: AppManifest,
  to: number | null,
): Promise<void> {
  if (!app.configMigrations || !(await exists(ctx.layout.appConfig))) return;
  const r = await migrateConfigFile({
    configPath: ctx.layout.appConfig,
    migrationsPath: join(releaseDir, app.configMigrations),
    target: to,
    now: ctx.clock.now(),
  });
  if (r.changed) await ctx.log(`config.json: config_version ${r.from} → ${r.to}`);
  for (const w of r.warnings) await ctx.log(`config.json: ${w}`);
  // Down to the first layout drops the key; the app reads config_version, so it is kept, as 1.
  if (r.changed && r.to === 1 && !('config_version' in r.config))
    await writeFileAtomic(
      ctx.layout.appConfig,
      `${JSON.stringify({ config_version: 1, ...r.config }, null, 2)}\n`,
      0o600,
    );
}

/**
 * Moves config.json up to what the running release knows, as the app starts (the panel strategy:
 * migrations and deprecation warnings run whenever the app starts on an older config).
 */
export async function migrateConfigOnStart(ctx: InstanceContext, version: string): Promise<void> {
  const { manifest, dir } = await ctx.manifestOf(version);
  const known = await expectedConfigVersion(dir, manifest);
  const current = await configVersion(ctx);
  if (known === null || current === null || current >= known) return; // never moved down behind the operator's back
  await migrateConfig(ctx, dir, manifest, known);
}

export async function dbVersion(ctx: InstanceContext): Promise<bigint> {
  if (!(await exists(ctx.database())) && !isPostgresUrl(ctx.database())) return 0n;
  return databaseVersion(ctx.database());
}

/** config.json's config_version as the config migrations read it; null when there is no readable config.json. */
export async function configVersion(ctx: InstanceContext): Promise<number | null> {
  try {
    return readConfigVersion(JSON.parse(await readFile(ctx.layout.appConfig, 'utf8')) as JsonObject);
  } catch {
    return null;
  }
}

export async function journal(
  ctx: InstanceContext,
  state: AgentState,
  txn: Transaction | null,
  step?: Step,
): Promise<void> {
  state.txn = txn && step ? { ...txn, step } : txn;
  await writeState(ctx.layout.stateFile, state);
}
