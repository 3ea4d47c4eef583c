import { basename, join } from 'node:path';
import { isPostgresUrl } from '../migrate/runner.ts';
import { stopStray } from './app-process.ts';
import type { InstanceContext } from './context.ts';
import type { CrashPoint } from './crash.ts';
import type { HealthResult } from './health.ts';
import { dropSnapshot, restoreSnapshot } from './snapshot.ts';
import { readState, writeState, type Attention, type Transaction } from './state.ts';
import { expectedDbVersion } from './runtime.ts';
import {
  dbVersion,
  finishOneOff,
  migrateConfig,
  migrateDb,
  startAndCheck,
  switchCurrent,
  undoRecordedMigrations,
} from './steps.ts';

/** How a release held only because its update was cut off (and undone) is recorded in state.rejected. */
export const INTERRUPTED = 'interrupted at';

/**
 * The way back: undoing an update (from its snapshot and journal) or carrying out a rollback, and
 * finishing either after a crash. When the way back itself fails, the instance still ends running:
 * on the version whose schema the database has, with the manual steps written down for doctor.
 */

/**
 * Brings the instance to `target` (schema, config and `current`), using the migration files of
 * the newer release, then starts it. Safe to run again after a crash part way: every step is
 * idempotent.
 */
export async function restore(
  ctx: InstanceContext,
  txn: Transaction,
  prefix: 'rollback-' | '',
): Promise<HealthResult | null> {
  const crash = (p: 'begun' | 'app-stopped' | 'config-migrated' | 'db-migrated' | 'switched') => {
    if (prefix === 'rollback-') ctx.crash(`rollback-${p}` as CrashPoint);
  };
  crash('begun');
  await ctx.app.stop();
  await stopStray(ctx.layout.appPid);
  crash('app-stopped');
  if (txn.kind === 'update' && txn.snapshot) {
    // Undoing an update never runs the new release's files again: what it changed is put back.
    await restoreSnapshot(ctx, txn.snapshot);
    if (isPostgresUrl(ctx.database())) await undoRecordedMigrations(ctx, txn);
  } else {
    const files = await ctx.manifestOf(basename(txn.filesFrom)).catch(() => null);
    if (files) {
      if (txn.restore.config !== null) await migrateConfig(ctx, files.dir, files.manifest, txn.restore.config);
      crash('config-migrated');
      await migrateDb(ctx, files.dir, files.manifest, BigInt(txn.restore.db));
      crash('db-migrated');
    }
  }
  await switchCurrent(ctx, txn.restore.version);
  crash('switched');
  if (txn.restore.version === null) return null;
  const health = await startAndCheck(ctx, txn.restore.version);
  await finishOneOff(ctx);
  return health;
}

/** Finishes or undoes a change a crash interrupted. Runs under the lock, before anything else. */
export async function recover(ctx: InstanceContext): Promise<void> {
  const state = await readState(ctx.layout.stateFile);
  const txn = state.txn;
  if (!txn) {
    // A crash may still have left the app of a one-off health check running.
    if (!ctx.app.supervised) await stopStray(ctx.layout.appPid);
    return;
  }
  const target = txn.restore.version;
  await ctx.log(
    `recovering from an interrupted ${txn.kind} ${txn.from ?? 'nothing'} → ${txn.to} (stopped after "${txn.step}"): returning to ${target ?? 'no version'}`,
  );
  const back = await wayBack(ctx, txn, '');
  const next = await readState(ctx.layout.stateFile);
  next.current = back.attention ? back.attention.running : target;
  next.txn = null;
  next.attention = back.attention;
  if (txn.kind === 'update') next.rejected[txn.to] = `${INTERRUPTED} "${txn.step}" and rolled back`;
  await writeState(ctx.layout.stateFile, next);
  if (!back.attention) await dropSnapshot(txn.snapshot);
  await ctx.record({
    event: 'recovered',
    from: txn.from,
    to: target,
    reason: `${txn.kind} to ${txn.to} was interrupted after "${txn.step}"`,
  });
}

/** What a way back ended with: the health of the version it started, and what is left for a person. */
export interface WayBackResult {
  health: HealthResult | null;
  /** Null when the way back went as planned. */
  attention: Attention | null;
}

/** Carries out the way back; if it fails, lands on the version the schema matches (see {@link landOnSchema}). */
export async function wayBack(
  ctx: InstanceContext,
  txn: Transaction,
  prefix: 'rollback-' | '',
): Promise<WayBackResult> {
  try {
    return { health: await restore(ctx, txn, prefix), attention: null };
  } catch (error) {
    return landOnSchema(ctx, txn, error as Error);
  }
}

/**
 * The way back failed part way (a Down that fails on PostgreSQL, a snapshot that cannot be put
 * back): the instance runs whichever release expects the schema the database has now, and the
 * exact manual steps to finish are written into the state, where status, doctor and the page show
 * them. Never ends with no app when one can run.
 */
export async function landOnSchema(ctx: InstanceContext, txn: Transaction, cause: Error): Promise<WayBackResult> {
  const target = txn.restore.version;
  const problem = `the way back from ${txn.kind === 'update' ? txn.to : txn.from} to ${target ?? 'nothing'} failed: ${cause.message}`;
  await ctx.log(`ALERT: ${problem}`);
  const db = await dbVersion(ctx).catch(() => null);
  const state = await readState(ctx.layout.stateFile);
  const candidates = [target, txn.to, txn.from, ...state.kept.map((k) => k.version)].filter(
    (v, n, all): v is string => v !== null && all.indexOf(v) === n,
  );
  let running: string | null = null;
  let migrationsDir: string | null = null;
  for (const v of candidates) {
    const m = await ctx.manifestOf(v).catch(() => null);
    if (!m) continue;
    if (basename(txn.filesFrom) === v && m.manifest.migrations) migrationsDir = join(m.dir, m.manifest.migrations);
    const want = await expectedDbVersion(m.dir, m.manifest).catch(() => null);
    if (running === null && db !== null && want === db) running = v;
  }
  // No release expects this schema: the version the way back meant to reach is still the best bet.
  running ??= target;
  const root = ctx.layout.root;
  const fix: string[] = [`read ${join(ctx.layout.state, 'agent.log')}: ${cause.message}`];
  if (db !== null && db.toString() !== txn.restore.db)
    fix.push(
      `bring the database from schema ${db} back to ${txn.restore.db}: repair the failing Down in ${migrationsDir ?? txn.filesFrom}, then run: slipway migrate down-to ${txn.restore.db} --db <app.database> --dir ${migrationsDir ?? '<migrations folder>'} (or restore the database from a backup taken before ${txn.startedAt})`,
    );
  if (txn.snapshot)
    fix.push(
      `what the update changed is saved in ${txn.snapshot.dir} (config.json as it was${txn.snapshot.db ? `, app.db: a copy of the database before the update` : ''}); it is kept until this is fixed`,
    );
  if (running !== target && target !== null)
    fix.push(`then return to ${target}: slipway rollback --version ${target} --root ${root}`);
  fix.push(`check the result: slipway doctor --root ${root}`);
  let health: HealthResult | null = null;
  try {
    await ctx.app.stop();
    await switchCurrent(ctx, running);
    if (running !== null) {
      health = await startAndCheck(ctx, running);
      await finishOneOff(ctx);
    }
  } catch (error) {
    fix.unshift(`${running ?? 'no version'} could not be started either: ${(error as Error).message}`);
  }
  const attention: Attention = { at: ctx.clock.now().toISOString(), running, problem, fix };
  await ctx.record({
    event: 'attention',
    from: txn.from,
    to: running,
    reason: `${problem}; to fix: ${fix.join('; ')}`,
  });
  await ctx.log(
    `ALERT: the instance runs ${running ?? 'nothing'}, which matches schema ${db ?? 'unknown'}; to finish by hand: ${fix.join('; ')}`,
  );
  return { health, attention };
}
