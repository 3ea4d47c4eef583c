import { mkdir, readFile, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AppManifest } from '../core/app-manifest.ts';
import { configVersion as readConfigVersion, type JsonObject } from '../core/config-migrate/apply.ts';
import type { Manifest } from '../core/feed/manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import { migrateConfigFile } from '../migrate/config-file.ts';
import { runMigrationsBounded } from '../migrate/bounded.ts';
import { databaseVersion, isPostgresUrl, runMigrations } from '../migrate/runner.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { stopStray } from './app-process.ts';
import type { InstanceContext } from './context.ts';
import type { CrashPoint } from './crash.ts';
import { waitHealthy, type HealthResult } from './health.ts';
import { portProblem } from './port-check.ts';
import { dropSnapshot, restoreSnapshot, takeSnapshot } from './snapshot.ts';
import { expectedConfigVersion, runtimeOf } from './runtime.ts';
import { readState, writeState, type AgentState, type Step, type Transaction } from './state.ts';

/**
 * The update transaction: stop, config and database migrations, atomic switch of `current`,
 * start, health check, commit — every step journaled in state.json, so that a crash anywhere is
 * finished or undone by {@link recover} on the next start.
 */

/** What an update or rollback reports. */
export interface ApplyResult {
  from: string | null;
  to: string;
  outcome: 'updated' | 'rolled-back' | 'up-to-date' | 'staged' | 'planned';
  reason?: string;
  health?: HealthResult;
  ms: number;
  applyAt?: string | null;
}

type Restore = Transaction['restore'];

/** The last lines of the app's log, and where it is, for a failure message. */
async function appLogTail(ctx: InstanceContext, lines = 10): Promise<string> {
  const file = join(ctx.layout.state, 'app.log');
  const text = await readFile(file, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return tail ? `; the last lines of ${file}:\n${tail}` : `; its log is ${file}`;
}

/** Starts a version and waits for it to be healthy; a one-off controller stops it again afterwards. */
async function startAndCheck(ctx: InstanceContext, version: string): Promise<HealthResult> {
  const { manifest, dir } = await ctx.manifestOf(version);
  const { run, health } = runtimeOf(ctx, version, dir, manifest);
  await mkdir(ctx.layout.data, { recursive: true });
  await ctx.app.start(run);
  return waitHealthy(health);
}

async function finishOneOff(ctx: InstanceContext): Promise<void> {
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

async function migrateDb(
  ctx: InstanceContext,
  releaseDir: string,
  app: AppManifest,
  to: bigint | 'latest',
  onFirst?: () => void,
): Promise<void> {
  if (!app.migrations) return;
  const dir = join(releaseDir, app.migrations);
  if (!(await exists(dir))) return;
  await mkdir(ctx.layout.data, { recursive: true });
  let n = 0;
  const command = to === 'latest' ? ({ kind: 'up' } as const) : ({ kind: 'down-to', version: to } as const);
  const step = (direction: string, file: string): void => {
    n++;
    void ctx.log(`migration ${direction} ${file}`);
    if (n === 1) onFirst?.();
  };
  const db = ctx.database();
  if (!isPostgresUrl(db)) {
    // In a worker with a deadline: a statement that never ends must not hold the instance down.
    const deadline = parseDuration(ctx.config.update['migration-timeout']);
    await runMigrationsBounded({ db, dir, command }, deadline, (s) => step(s.direction, s.file));
  } else await runMigrations({ db, dir, command, onStep: (s) => step(s.direction, s.migration.file) });
}

async function migrateConfig(
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

async function journal(ctx: InstanceContext, state: AgentState, txn: Transaction | null, step?: Step): Promise<void> {
  state.txn = txn && step ? { ...txn, step } : txn;
  await writeState(ctx.layout.stateFile, state);
}

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
    if (isPostgresUrl(ctx.database())) {
      const files = await ctx.manifestOf(basename(txn.filesFrom)).catch(() => null);
      if (files) await migrateDb(ctx, files.dir, files.manifest, BigInt(txn.restore.db));
    }
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
  await restore(ctx, txn, '');
  const next = await readState(ctx.layout.stateFile);
  next.current = target;
  next.txn = null;
  if (txn.kind === 'update') next.rejected[txn.to] = `interrupted at "${txn.step}" and rolled back`;
  await writeState(ctx.layout.stateFile, next);
  await dropSnapshot(txn.snapshot);
  await ctx.record({
    event: 'recovered',
    from: txn.from,
    to: target,
    reason: `${txn.kind} to ${txn.to} was interrupted after "${txn.step}"`,
  });
}

/** Migrations up, switch, restart, health check, commit; any failure after the switch rolls back. Under the lock. */
export async function apply(
  ctx: InstanceContext,
  version: string,
  feedManifest: Manifest,
  started: number,
  progress?: (s: string) => void,
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
    await migrateDb(ctx, dir, app, 'latest', () => ctx.crash('db-migration-1'));
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
    const ms = performance.now() - started;
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
  const back = await restore(ctx, txn, '');
  const next = await readState(ctx.layout.stateFile);
  next.current = from;
  next.txn = null;
  next.staged = null;
  next.rejected[version] = failure;
  await writeState(ctx.layout.stateFile, next);
  await dropSnapshot(txn.snapshot);
  const rollbackMs = performance.now() - rollbackStarted;
  await ctx.record({
    event: 'update-failed',
    from,
    to: version,
    reason: failure,
    rollbackMs: Math.round(rollbackMs),
  });
  await ctx.log(`rolled back to ${from ?? 'nothing'} in ${Math.round(rollbackMs)} ms`);
  if (back && !back.healthy) {
    failure = `${failure}; WARNING: ${from} was started again but is not healthy (${back.last}): see slipway doctor`;
    await ctx.log(`ALERT: ${from} is not healthy after the rollback: ${back.last}`);
  }
  return {
    from,
    to: version,
    outcome: 'rolled-back',
    reason: failure,
    ...(health ? { health } : {}),
    ms: performance.now() - started,
  };
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
