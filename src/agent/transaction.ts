import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Manifest } from '../core/feed/manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import type { InstanceContext } from './context.ts';
import { waitHealthy, type HealthResult } from './health.ts';
import { portProblem } from './port-check.ts';
import { runtimeOf } from './runtime.ts';
import { dropSnapshot, takeSnapshot } from './snapshot.ts';
import { readState, writeState, type AgentState, type Transaction } from './state.ts';
import { startMigrationWorker, type MigrationWorker } from '../migrate/bounded.ts';
import { isPostgresUrl } from '../migrate/runner.ts';
import {
  appLogTail,
  configVersion,
  dbVersion,
  finishOneOff,
  journal,
  migrateConfig,
  migrateDb,
  pendingMigrations,
  switchCurrent,
} from './steps.ts';
import { wayBack } from './way-back.ts';

/**
 * The update transaction: stop, config and database migrations, atomic switch of `current`,
 * start, health check, commit — every step journaled in state.json, so that a crash anywhere is
 * finished or undone by {@link recover} on the next start.
 */

/** What an update or rollback reports. */
export interface ApplyResult {
  from: string | null;
  to: string;
  outcome: 'updated' | 'rolled-back' | 'up-to-date' | 'staged' | 'planned' | 'needs-attention';
  reason?: string;
  health?: HealthResult;
  ms: number;
  applyAt?: string | null;
}

type Restore = Transaction['restore'];

/** Migrations up, switch, restart, health check, commit; any failure after the switch rolls back. Under the lock. */
export async function apply(
  ctx: InstanceContext,
  version: string,
  feedManifest: Manifest,
  started: number,
  progress?: (s: string) => void,
  prepared?: MigrationWorker,
): Promise<ApplyResult> {
  const state = await readState(ctx.layout.stateFile);
  const from = state.current;
  const { manifest: app, dir } = await ctx.manifestOf(version);
  const point: Restore = {
    version: from,
    db: (await dbVersion(ctx)).toString(),
    config: await configVersion(ctx),
  };
  const txn: Transaction = {
    kind: 'update',
    from,
    to: version,
    step: 'begun',
    startedAt: ctx.clock.now().toISOString(),
    filesFrom: dir,
    restore: point,
  };
  await journal(ctx, state, txn, 'begun');
  await ctx.log(`applying ${from ?? 'nothing'} → ${version}`);
  ctx.crash('begun');
  let failure: string | null = null;
  let health: HealthResult | undefined;
  // SQLite migrations run in a child; started now, its start-up overlaps the stop and the snapshot.
  const worker = prepared ?? (app.migrations && !isPostgresUrl(ctx.database()) ? startMigrationWorker() : undefined);
  try {
    progress?.(`stopping ${from ?? 'nothing'}`);
    await ctx.app.stop();
    await journal(ctx, state, txn, 'app-stopped');
    ctx.crash('app-stopped');
    const busy = await portProblem(ctx.config.app.port);
    if (busy !== null) throw new SlipwayError('PREFLIGHT', `${version} cannot start: ${busy}`);
    txn.snapshot = await takeSnapshot(ctx, version);
    await journal(ctx, state, txn, 'app-stopped');
    ctx.crash('snapshotted');
    if (!(await exists(ctx.layout.appConfig))) {
      await writeFileAtomic(ctx.layout.appConfig, `${JSON.stringify({ config_version: 1 }, null, 2)}\n`, 0o600);
    }
    await migrateConfig(ctx, dir, app, null);
    await journal(ctx, state, txn, 'config-migrated');
    ctx.crash('config-migrated');
    progress?.('running database migrations');
    txn.migrations = { planned: await pendingMigrations(ctx, dir, app), done: [] };
    await journal(ctx, state, txn, 'config-migrated');
    await migrateDb(
      ctx,
      dir,
      app,
      'latest',
      async (s) => {
        txn.migrations!.done.push(s.version);
        await journal(ctx, state, txn, 'config-migrated');
        if (txn.migrations!.done.length === 1) ctx.crash('db-migration-1');
      },
      worker,
    );
    await journal(ctx, state, txn, 'db-migrated');
    ctx.crash('db-migrated');
    await switchCurrent(ctx, version);
    await journal(ctx, state, txn, 'switched');
    ctx.crash('switched');
    progress?.(`starting ${version} and checking its health`);
    const { run, health: spec } = runtimeOf(ctx, version, dir, app);
    await mkdir(ctx.layout.data, { recursive: true });
    // The app is watched while it is checked: a child that exits has failed, whatever answers its port.
    const exited = new AbortController();
    const watched: { exit: string | null } = { exit: null };
    const unwatch = ctx.app.onExit((why) => {
      watched.exit ??= why;
      exited.abort();
    });
    try {
      await ctx.app.start(run);
      await journal(ctx, state, txn, 'app-started');
      ctx.crash('app-started');
      health = await waitHealthy(spec, { abort: exited.signal });
    } finally {
      unwatch();
    }
    if (watched.exit !== null) failure = `${version} ${watched.exit} before it was healthy${await appLogTail(ctx)}`;
    else if (!health.healthy)
      failure = `health check failed after ${health.attempts} probes in ${Math.round(health.ms)} ms: ${health.last}`;
    else ctx.crash('healthy');
  } catch (error) {
    failure = (error as Error).message;
  } finally {
    worker?.dispose();
  }
  if (failure === null) {
    await finishOneOff(ctx);
    const next = await readState(ctx.layout.stateFile);
    next.current = version;
    next.txn = null;
    next.staged = null;
    next.kept = [
      {
        version,
        installedAt: ctx.clock.now().toISOString(),
        channel: feedManifest.channel,
        security: feedManifest.security?.severity ?? null,
        commit: feedManifest.commit,
        buildTime: feedManifest.buildTime,
      },
      ...next.kept.filter((k) => k.version !== version),
    ];
    delete next.rejected[version];
    next.attention = null;
    // The running version and the one it replaced are never pruned, whatever update.keep says.
    const keep = Math.max(2, ctx.config.update.keep);
    const previous = next.kept.find((k) => k.version === from);
    const rest = next.kept.filter((k) => k.version !== version && k.version !== from);
    next.kept = [next.kept[0]!, ...(previous ? [previous] : []), ...rest];
    const dropped = next.kept.slice(keep);
    next.kept = next.kept.slice(0, keep);
    await writeState(ctx.layout.stateFile, next);
    ctx.crash('committed');
    await dropSnapshot(txn.snapshot);
    const ms = Math.round(performance.now() - started);
    await ctx.record({ event: from === null ? 'installed' : 'updated', from, to: version, ms: Math.round(ms) });
    await ctx.log(`${version} is healthy and committed (${Math.round(ms)} ms)`);
    await prune(
      ctx,
      next,
      dropped.map((d) => d.version),
    );
    return { from, to: version, outcome: 'updated', health, ms };
  }
  await ctx.log(`update to ${version} failed: ${failure}; rolling back to ${from ?? 'nothing'}`);
  const rollbackStarted = performance.now();
  const back = await wayBack(ctx, txn, '');
  const next = await readState(ctx.layout.stateFile);
  next.current = back.attention ? back.attention.running : from;
  next.txn = null;
  next.staged = null;
  next.rejected[version] = failure;
  next.attention = back.attention;
  await writeState(ctx.layout.stateFile, next);
  if (!back.attention) await dropSnapshot(txn.snapshot);
  const rollbackMs = Math.round(performance.now() - rollbackStarted);
  await ctx.record({
    event: 'update-failed',
    from,
    to: version,
    reason: failure,
    rollbackMs: Math.round(rollbackMs),
  });
  const result = { from, to: version, ...(health ? { health } : {}), ms: Math.round(performance.now() - started) };
  if (back.attention)
    return {
      ...result,
      outcome: 'needs-attention',
      reason: `${failure}; ${back.attention.problem}; the instance runs ${back.attention.running ?? 'nothing'} (it matches the database's schema); to finish by hand: ${back.attention.fix.join('; ')}`,
    };
  await ctx.log(`rolled back to ${from ?? 'nothing'} in ${Math.round(rollbackMs)} ms`);
  if (back.health && !back.health.healthy) {
    failure = `${failure}; WARNING: ${from} was started again but is not healthy (${back.health.last}): see slipway doctor`;
    await ctx.log(`ALERT: ${from} is not healthy after the rollback: ${back.health.last}`);
  }
  return { ...result, outcome: 'rolled-back', reason: failure };
}

/** Removes release folders that are neither kept nor current. */
async function prune(ctx: InstanceContext, state: AgentState, dropped: string[]): Promise<void> {
  const keep = new Set([...state.kept.map((k) => k.version), state.current]);
  const candidates = new Set([...dropped, ...(await readdir(ctx.layout.releases).catch(() => []))]);
  for (const v of candidates) {
    if (keep.has(v) || v.endsWith('.unpack')) continue;
    if (state.staged?.version === v) continue;
    await rm(ctx.layout.release(v), { recursive: true, force: true });
  }
}
