import { appendFile, mkdir, readFile, readdir, readlink, rename, rm, statfs, symlink } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { basename, join } from 'node:path';
import semver from 'semver';
import { APP_MANIFEST, fill, parseAppManifest, type AppManifest } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  findRelease,
  selectUpdate,
  visibleChannels,
  type Candidate,
  type ChannelIndex,
  type Manifest,
  type Selection,
} from '../core/feed/manifest.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { activeWindow, nextWindowStart, parseWindows } from '../core/schedule/window.ts';
import { configVersion, type JsonObject } from '../core/config-migrate/apply.ts';
import { loadConfigMigrations, migrateConfigFile } from '../migrate/config-file.ts';
import { databaseVersion, loadMigrations, runMigrations } from '../migrate/runner.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import { FeedClient } from '../feed/client.ts';
import { AppProcess, stopStray, type AppControl, type AppRuntime } from './app-process.ts';
import { readAgentConfig, type AgentConfig } from './config.ts';
import { waitHealthy, type HealthResult } from './health.ts';
import { Layout } from './layout.ts';
import { acquireLock } from '../io/lock-file.ts';
import {
  appendHistory,
  readHistory,
  readState,
  writeState,
  type AgentState,
  type HistoryEntry,
  type Step,
  type Transaction,
} from './state.ts';
import { unpackRelease } from './unpack.ts';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/**
 * Crash points: with SLIPWAY_CRASH_AT=<point> the process kills itself with SIGKILL there, as a
 * power cut would. The crash-safety test walks every one of them.
 */
export const CRASH_POINTS = [
  'downloaded',
  'unpacked',
  'begun',
  'app-stopped',
  'config-migrated',
  'db-migration-1',
  'db-migrated',
  'switched',
  'app-started',
  'healthy',
  'committed',
  'rollback-begun',
  'rollback-app-stopped',
  'rollback-config-migrated',
  'rollback-db-migrated',
  'rollback-switched',
  'rollback-committed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export function nodePlatform(): string {
  const a = arch();
  return `${platform()}/${a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a}`;
}

export interface CheckResult {
  current: string | null;
  channel: string;
  selection: Selection;
  manifest: Manifest | null;
  /** Why the target will not be applied automatically (rejected earlier), if so. */
  held: string | null;
}

export interface ApplyResult {
  from: string | null;
  to: string;
  outcome: 'updated' | 'rolled-back' | 'up-to-date' | 'staged';
  reason?: string;
  health?: HealthResult;
  ms: number;
  applyAt?: string | null;
}

export interface InstanceOptions {
  clock?: Clock;
  log?: (line: string) => void;
  /** The app controller: the agent's supervisor, or a one-off that starts the app only to health-check it. */
  app?: AppControl;
  serverZone?: string;
  env?: NodeJS.ProcessEnv;
}

/** Largest migration version in a release's migrations folder (0 when it has none). */
async function expectedDbVersion(releaseDir: string, manifest: AppManifest): Promise<bigint> {
  if (!manifest.migrations) return 0n;
  const dir = join(releaseDir, manifest.migrations);
  if (!(await exists(dir))) return 0n;
  let max = 0n;
  for (const m of await loadMigrations(dir)) if (m.version > max) max = m.version;
  return max;
}

async function expectedConfigVersion(releaseDir: string, manifest: AppManifest): Promise<number | null> {
  if (!manifest.configMigrations) return null;
  const m = await loadConfigMigrations(join(releaseDir, manifest.configMigrations));
  return Math.max(1, ...m.migrations.map((x) => x.version));
}

/**
 * An installed instance: its layout, settings and state, and the operations on it. Every change
 * runs under the update lock and is journaled in state.json, so that a crash at any point is
 * finished or undone on the next start: the instance runs the old version or the new one, never
 * half, with the schema and config that version expects.
 */
export class Instance {
  readonly layout: Layout;
  config: AgentConfig;
  readonly clock: Clock;
  readonly app: AppControl;
  private readonly logLine: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  readonly serverZone: string;
  readonly warnings: string[];

  private constructor(layout: Layout, config: AgentConfig, warnings: string[], options: InstanceOptions) {
    this.layout = layout;
    this.config = config;
    this.warnings = warnings;
    this.clock = options.clock ?? systemClock;
    this.logLine = options.log ?? (() => undefined);
    this.env = options.env ?? process.env;
    this.serverZone = options.serverZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.app =
      options.app ??
      new AppProcess({
        pidFile: layout.appPid,
        logFile: join(layout.state, 'app.log'),
        supervised: false,
        log: (l) => void this.log(l),
      });
  }

  static async open(root: string, options: InstanceOptions = {}): Promise<Instance> {
    const layout = new Layout(root);
    const { config, warnings } = await readAgentConfig(layout.agentConfig, (options.clock ?? systemClock).now());
    return new Instance(layout, config, warnings, options);
  }

  async reloadConfig(): Promise<void> {
    this.config = (await readAgentConfig(this.layout.agentConfig, this.clock.now())).config;
  }

  async log(line: string): Promise<void> {
    const stamped = `${this.clock.now().toISOString()} ${line}`;
    this.logLine(line);
    await appendFile(this.layout.log, `${stamped}\n`, { mode: 0o600 }).catch(() => undefined);
  }

  private crash(point: CrashPoint): void {
    if (this.env.SLIPWAY_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
  }

  state(): Promise<AgentState> {
    return readState(this.layout.stateFile);
  }

  history(): Promise<HistoryEntry[]> {
    return readHistory(this.layout.history);
  }

  private async record(entry: Omit<HistoryEntry, 'at'>): Promise<void> {
    await appendHistory(this.layout.history, { at: this.clock.now().toISOString(), ...entry } as HistoryEntry);
  }

  /** Runs `fn` under the update lock, after finishing or undoing any interrupted change. */
  async exclusive<T>(fn: () => Promise<T>, timeoutMs = 0): Promise<T> {
    const release = await acquireLock(this.layout.lock, {
      timeoutMs,
      held: (owner) =>
        new SlipwayError(
          'LOCKED',
          `another update or rollback is running already (pid ${owner ?? 'unknown'} holds ${this.layout.lock}); wait for it to finish`,
        ),
    });
    try {
      await this.recover();
      return await fn();
    } finally {
      await release();
    }
  }

  feedClient(): FeedClient {
    return new FeedClient({
      url: this.config.feed.url,
      metadataDir: this.layout.tuf,
      scratchDir: join(this.layout.staging, 'tuf'),
    });
  }

  private seen: string[] = [];

  private async indexes(client: FeedClient): Promise<ChannelIndex[]> {
    const all = await client.channels();
    if (!all.includes(this.config.update.channel)) {
      throw new SlipwayError(
        'UNKNOWN_CHANNEL',
        `update.channel is "${this.config.update.channel}", which this feed does not have; it has ${all.join(', ')} (slipway config set update.channel <channel>)`,
      );
    }
    // The channel and every more stable one, in the feed's own order.
    this.seen = visibleChannels(all, this.config.update.channel);
    const out: ChannelIndex[] = [];
    for (const c of this.seen) out.push(await client.index(c));
    return out;
  }

  async manifestOf(version: string): Promise<{ manifest: AppManifest; dir: string }> {
    const dir = this.layout.release(version);
    let text: string;
    try {
      text = await readFile(join(dir, APP_MANIFEST), 'utf8');
    } catch (error) {
      throw new SlipwayError(
        'APP_MANIFEST_MISSING',
        `${join(dir, APP_MANIFEST)} is missing: every release carries an app manifest at the top of its archive`,
        { cause: error },
      );
    }
    return { manifest: parseAppManifest(text, join(dir, APP_MANIFEST), version), dir };
  }

  /** What the feed offers this instance now (`slipway update check`). */
  async check(): Promise<CheckResult> {
    const state = await this.state();
    const client = this.feedClient();
    const indexes = await this.indexes(client);
    const selection = selectUpdate(indexes, state.current);
    const manifest = selection.target ? await client.manifest(selection.target.manifest) : null;
    const held = selection.target ? (state.rejected[selection.target.version] ?? null) : null;
    return { current: state.current, channel: this.config.update.channel, selection, manifest, held };
  }

  private platform(): string {
    return this.config.feed.platform ?? nodePlatform();
  }

  /** Downloads, verifies (tuf-js) and unpacks a release into releases/<version>. Touches nothing else. */
  async stage(
    candidate: Candidate,
    client: FeedClient,
    progress?: (s: string) => void,
  ): Promise<{ manifest: Manifest; app: AppManifest; downloaded: boolean }> {
    const manifest = await client.manifest(candidate.manifest);
    if (manifest.version !== candidate.version)
      throw new SlipwayError(
        'VERIFY_FAILED',
        `the manifest at ${candidate.manifest} is for ${manifest.version}, not ${candidate.version}`,
      );
    const dir = this.layout.release(candidate.version);
    if (await exists(join(dir, APP_MANIFEST)))
      return { manifest, app: (await this.manifestOf(candidate.version)).manifest, downloaded: false };
    const artifact = manifest.artifacts[this.platform()] ?? manifest.artifacts.any;
    if (!artifact)
      throw new SlipwayError(
        'NO_ARTIFACT',
        `${candidate.version} has no artifact for ${this.platform()} (it has ${Object.keys(manifest.artifacts).join(', ')}); set feed.platform if this instance should use another`,
      );
    await this.diskCheck(artifact.length);
    await mkdir(this.layout.downloads, { recursive: true });
    const file = join(this.layout.downloads, `${candidate.version}-${basename(artifact.name)}`);
    await rm(file, { force: true });
    try {
      await client.download(
        artifact,
        file,
        progress
          ? (done, total) =>
              progress(
                `downloading ${candidate.version} ${Math.floor((done / total) * 100)}% (${Math.round(done / 1048576)} of ${Math.round(total / 1048576)} MiB)`,
              )
          : undefined,
      );
    } catch (error) {
      await rm(file, { force: true });
      const e = error as SlipwayError;
      await this.log(`ALERT: ${candidate.version} failed verification and was rejected: ${e.message}`);
      await this.record({ event: 'rejected', to: candidate.version, reason: e.message });
      throw error;
    }
    this.crash('downloaded');
    const tmp = join(this.layout.staging, `${candidate.version}.unpack`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(this.layout.staging, { recursive: true });
    try {
      await unpackRelease(file, tmp);
      const text = await readFile(join(tmp, APP_MANIFEST), 'utf8').catch((error: unknown) => {
        throw new SlipwayError(
          'APP_MANIFEST_MISSING',
          `the ${candidate.version} artifact has no ${APP_MANIFEST} at its top`,
          { cause: error },
        );
      });
      const app = parseAppManifest(text, `${candidate.version}/${APP_MANIFEST}`, candidate.version);
      await mkdir(this.layout.releases, { recursive: true });
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      this.crash('unpacked');
      await rm(file, { force: true });
      return { manifest, app, downloaded: true };
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      await this.log(`ALERT: ${candidate.version} could not be staged: ${(error as Error).message}`);
      await this.record({ event: 'rejected', to: candidate.version, reason: (error as Error).message });
      throw error;
    }
  }

  private async diskCheck(bytes: number): Promise<void> {
    const s = await statfs(this.layout.root);
    const free = s.bavail * s.bsize;
    const need = bytes * 3 + 64 * 1024 * 1024;
    if (free < need)
      throw new SlipwayError(
        'DISK_FULL',
        `${this.layout.root} has ${Math.round(free / 1048576)} MiB free; the update needs about ${Math.round(need / 1048576)} MiB (download, unpack, previous version kept)`,
      );
  }

  database(): string {
    return this.config.app.database ?? this.layout.defaultDatabase();
  }

  runtime(
    version: string,
    dir: string,
    app: AppManifest,
  ): { run: AppRuntime; health: Parameters<typeof waitHealthy>[0] } {
    const vars = {
      port: String(this.config.app.port),
      root: this.layout.root,
      data: this.layout.data,
      release: dir,
      version,
      config: this.layout.appConfig,
      db: this.database(),
      node: process.execPath,
    };
    const where = `${version}/${APP_MANIFEST}`;
    const env: Record<string, string> = {
      PORT: vars.port,
      SLIPWAY_ROOT: vars.root,
      SLIPWAY_DATA: vars.data,
      SLIPWAY_DB: vars.db,
      SLIPWAY_CONFIG: vars.config,
      SLIPWAY_VERSION: version,
      SLIPWAY_RELEASE: dir,
      SLIPWAY_CHANNEL: this.config.update.channel,
    };
    for (const [k, v] of Object.entries(app.start.env)) env[k] = fill(v, vars, where);
    const run: AppRuntime = {
      version,
      command: app.start.command.map((c) => fill(c, vars, where)),
      cwd: dir,
      env,
      stopTimeoutMs: parseDuration(app.start.stopTimeout),
    };
    const health = {
      ...(app.health.url
        ? { url: fill(app.health.url, vars, where) }
        : { command: app.health.command!.map((c) => fill(c, vars, where)) }),
      cwd: dir,
      env,
      successes: app.health.successes,
      interval: app.health.interval,
      timeout: app.health.timeout,
    };
    return { run, health };
  }

  /** Starts a version and waits for it to be healthy; a one-off controller stops it again afterwards. */
  private async startAndCheck(version: string): Promise<HealthResult> {
    const { manifest, dir } = await this.manifestOf(version);
    const { run, health } = this.runtime(version, dir, manifest);
    await mkdir(this.layout.data, { recursive: true });
    await this.app.start(run);
    return waitHealthy(health);
  }

  private async finishOneOff(): Promise<void> {
    if (!this.app.supervised) await this.app.stop();
  }

  /** Atomic switch of `current`: a new symlink beside it, renamed over it. */
  private async switchCurrent(version: string | null): Promise<void> {
    if (version === null) {
      await rm(this.layout.current, { force: true });
      return;
    }
    const tmp = `${this.layout.current}.${process.pid}.tmp`;
    await rm(tmp, { force: true });
    await symlink(join('releases', version), tmp);
    await rename(tmp, this.layout.current);
  }

  async currentLink(): Promise<string | null> {
    try {
      return basename(await readlink(this.layout.current));
    } catch {
      return null;
    }
  }

  private async migrateDb(
    releaseDir: string,
    app: AppManifest,
    to: bigint | 'latest',
    onFirst?: () => void,
  ): Promise<void> {
    if (!app.migrations) return;
    const dir = join(releaseDir, app.migrations);
    if (!(await exists(dir))) return;
    await mkdir(this.layout.data, { recursive: true });
    let n = 0;
    await runMigrations({
      db: this.database(),
      dir,
      command: to === 'latest' ? { kind: 'up' } : { kind: 'down-to', version: to },
      onStep: (step) => {
        n++;
        void this.log(`migration ${step.direction} ${step.migration.file}`);
        if (n === 1) onFirst?.();
      },
    });
  }

  private async migrateConfig(releaseDir: string, app: AppManifest, to: number | null): Promise<void> {
    if (!app.configMigrations || !(await exists(this.layout.appConfig))) return;
    const r = await migrateConfigFile({
      configPath: this.layout.appConfig,
      migrationsPath: join(releaseDir, app.configMigrations),
      target: to,
      now: this.clock.now(),
    });
    if (r.changed) await this.log(`config.json: config_version ${r.from} → ${r.to}`);
    for (const w of r.warnings) await this.log(`config.json: ${w}`);
  }

  async dbVersion(): Promise<bigint> {
    if (!(await exists(this.database())) && !this.database().startsWith('postgres')) return 0n;
    return databaseVersion(this.database());
  }

  /** config.json's config_version as the config migrations read it; null when there is no readable config.json. */
  private async configVersion(): Promise<number | null> {
    try {
      return configVersion(JSON.parse(await readFile(this.layout.appConfig, 'utf8')) as JsonObject);
    } catch {
      return null;
    }
  }

  private async journal(state: AgentState, txn: Transaction | null, step?: Step): Promise<void> {
    state.txn = txn && step ? { ...txn, step } : txn;
    await writeState(this.layout.stateFile, state);
  }

  /**
   * Brings the instance to `target` (schema, config and `current`), using the migration files of
   * the newer release, then starts it. Safe to run again after a crash part way: every step is
   * idempotent.
   */
  private async restore(txn: Transaction, prefix: 'rollback-' | ''): Promise<HealthResult | null> {
    const crash = (p: 'begun' | 'app-stopped' | 'config-migrated' | 'db-migrated' | 'switched') => {
      if (prefix === 'rollback-') this.crash(`rollback-${p}` as CrashPoint);
    };
    crash('begun');
    await this.app.stop();
    await stopStray(this.layout.appPid);
    crash('app-stopped');
    const files = await this.manifestOf(basename(txn.filesFrom)).catch(() => null);
    if (files) {
      if (txn.restore.config !== null) await this.migrateConfig(files.dir, files.manifest, txn.restore.config);
      crash('config-migrated');
      await this.migrateDb(files.dir, files.manifest, BigInt(txn.restore.db));
      crash('db-migrated');
    }
    await this.switchCurrent(txn.restore.version);
    crash('switched');
    if (txn.restore.version === null) return null;
    const health = await this.startAndCheck(txn.restore.version);
    await this.finishOneOff();
    return health;
  }

  /** Finishes or undoes a change a crash interrupted. Runs under the lock, before anything else. */
  async recover(): Promise<void> {
    const state = await this.state();
    const txn = state.txn;
    if (!txn) {
      // A crash may still have left the app of a one-off health check running.
      if (!this.app.supervised) await stopStray(this.layout.appPid);
      return;
    }
    const target = txn.restore.version;
    await this.log(
      `recovering from an interrupted ${txn.kind} ${txn.from ?? 'nothing'} → ${txn.to} (stopped after "${txn.step}"): returning to ${target ?? 'no version'}`,
    );
    await this.restore(txn, '');
    const next = await this.state();
    next.current = target;
    next.txn = null;
    if (txn.kind === 'update') next.rejected[txn.to] = `interrupted at "${txn.step}" and rolled back`;
    await writeState(this.layout.stateFile, next);
    await this.record({
      event: 'recovered',
      from: txn.from,
      to: target,
      reason: `${txn.kind} to ${txn.to} was interrupted after "${txn.step}"`,
    });
  }

  /**
   * `slipway update [--version v]`: check, download, verify, preflight, stage, then apply — now, or
   * (with `respectWindow`) at the next maintenance window unless it is a security release.
   */
  async update(
    options: {
      version?: string;
      force?: boolean;
      respectWindow?: boolean;
      dryRun?: boolean;
      progress?: (s: string) => void;
    } = {},
  ): Promise<ApplyResult> {
    return this.exclusive(async () => {
      const started = performance.now();
      const state = await this.state();
      const client = this.feedClient();
      const indexes = await this.indexes(client);
      let candidate: Candidate | null;
      if (options.version) {
        candidate = findRelease(indexes, options.version);
        if (!candidate)
          throw new SlipwayError('NOT_PUBLISHED', `${options.version} is not on ${this.seen.join(' or ')} in the feed`);
        if (candidate.yanked)
          throw new SlipwayError('YANKED', `${candidate.version} was yanked: ${candidate.yanked.reason}`);
        if (state.current && semver.lte(candidate.version, state.current))
          throw new SlipwayError(
            'USAGE',
            `${candidate.version} is not newer than ${state.current}; use slipway rollback --version ${candidate.version} to go back`,
          );
      } else {
        const sel = selectUpdate(indexes, state.current);
        candidate = sel.target;
        if (candidate && state.rejected[candidate.version] && !options.force) {
          return {
            from: state.current,
            to: candidate.version,
            outcome: 'up-to-date',
            reason: `${candidate.version} failed before (${state.rejected[candidate.version]}); apply it by hand with slipway update --version ${candidate.version}`,
            ms: performance.now() - started,
          };
        }
      }
      if (!candidate)
        return { from: state.current, to: state.current ?? '', outcome: 'up-to-date', ms: performance.now() - started };
      if (state.current && candidate.minimumVersion && semver.lt(state.current, candidate.minimumVersion)) {
        throw new SlipwayError(
          'PREFLIGHT',
          `${candidate.version} needs ${candidate.minimumVersion} or newer installed first (this is ${state.current}); run slipway update without --version to take the stepping stone`,
        );
      }
      if (options.dryRun)
        return {
          from: state.current,
          to: candidate.version,
          outcome: 'staged',
          reason: 'dry run: nothing downloaded',
          ms: performance.now() - started,
        };
      options.progress?.(`downloading and verifying ${candidate.version}`);
      const staged = await this.stage(candidate, client, options.progress);
      // Preflight: the running version is healthy (unless forced).
      if (state.current && this.app.supervised && this.app.running() && !options.force) {
        const { manifest } = await this.manifestOf(state.current);
        const { health } = this.runtime(state.current, this.layout.current, manifest);
        const h = await waitHealthy({ ...health, successes: 1, timeout: '10s' });
        if (!h.healthy)
          throw new SlipwayError(
            'PREFLIGHT',
            `${state.current} is not healthy now (${h.last}); fix it first or pass --force`,
          );
      }
      if (options.respectWindow) {
        const windows = parseWindows(this.config.update['maintenance-window']);
        const security = candidate.security !== null && this.config.update['security-bypass-window'];
        const now = this.clock.now();
        if (windows.length > 0 && !security && !activeWindow(windows, now, this.serverZone)) {
          const at = nextWindowStart(windows, now, this.serverZone);
          state.staged = {
            version: candidate.version,
            channel: candidate.channel,
            security: candidate.security,
            stagedAt: now.toISOString(),
            applyAt: at?.toISOString() ?? null,
            notes: staged.manifest.notes,
          };
          await writeState(this.layout.stateFile, state);
          await this.record({
            event: 'staged',
            from: state.current,
            to: candidate.version,
            reason: `waiting for the maintenance window (${at?.toISOString() ?? 'none'})`,
          });
          await this.log(
            `staged ${candidate.version}; it applies at the next maintenance window, ${at?.toISOString()}`,
          );
          return {
            from: state.current,
            to: candidate.version,
            outcome: 'staged',
            applyAt: at?.toISOString() ?? null,
            ms: performance.now() - started,
          };
        }
      }
      return this.apply(candidate.version, staged.manifest, started, options.progress);
    });
  }

  /** Migrations up, switch, restart, health check, commit; any failure after the switch rolls back. Under the lock. */
  private async apply(
    version: string,
    feedManifest: Manifest,
    started: number,
    progress?: (s: string) => void,
  ): Promise<ApplyResult> {
    const state = await this.state();
    const from = state.current;
    const { manifest: app, dir } = await this.manifestOf(version);
    const restore: Restore = {
      version: from,
      db: (await this.dbVersion()).toString(),
      config: await this.configVersion(),
    };
    const txn: Transaction = {
      kind: 'update',
      from,
      to: version,
      step: 'begun',
      startedAt: this.clock.now().toISOString(),
      filesFrom: dir,
      restore,
    };
    await this.journal(state, txn, 'begun');
    await this.log(`applying ${from ?? 'nothing'} → ${version}`);
    this.crash('begun');
    let failure: string | null = null;
    let health: HealthResult | undefined;
    try {
      progress?.(`stopping ${from ?? 'nothing'}`);
      await this.app.stop();
      await this.journal(state, txn, 'app-stopped');
      this.crash('app-stopped');
      if (!(await exists(this.layout.appConfig))) {
        await writeFileAtomic(this.layout.appConfig, `${JSON.stringify({ config_version: 1 }, null, 2)}\n`, 0o600);
      }
      await this.migrateConfig(dir, app, null);
      await this.journal(state, txn, 'config-migrated');
      this.crash('config-migrated');
      progress?.('running database migrations');
      await this.migrateDb(dir, app, 'latest', () => this.crash('db-migration-1'));
      await this.journal(state, txn, 'db-migrated');
      this.crash('db-migrated');
      await this.switchCurrent(version);
      await this.journal(state, txn, 'switched');
      this.crash('switched');
      progress?.(`starting ${version} and checking its health`);
      const { run, health: spec } = this.runtime(version, dir, app);
      await mkdir(this.layout.data, { recursive: true });
      await this.app.start(run);
      await this.journal(state, txn, 'app-started');
      this.crash('app-started');
      health = await waitHealthy(spec);
      if (!health.healthy)
        failure = `health check failed after ${health.attempts} probes in ${Math.round(health.ms)} ms: ${health.last}`;
      else this.crash('healthy');
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === null) {
      await this.finishOneOff();
      const next = await this.state();
      next.current = version;
      next.txn = null;
      next.staged = null;
      next.kept = [
        {
          version,
          installedAt: this.clock.now().toISOString(),
          channel: feedManifest.channel,
          security: feedManifest.security?.severity ?? null,
          commit: feedManifest.commit,
          buildTime: feedManifest.buildTime,
        },
        ...next.kept.filter((k) => k.version !== version),
      ];
      delete next.rejected[version];
      const dropped = next.kept.slice(this.config.update.keep);
      next.kept = next.kept.slice(0, this.config.update.keep);
      await writeState(this.layout.stateFile, next);
      this.crash('committed');
      const ms = performance.now() - started;
      await this.record({ event: from === null ? 'installed' : 'updated', from, to: version, ms: Math.round(ms) });
      await this.log(`${version} is healthy and committed (${Math.round(ms)} ms)`);
      await this.prune(
        next,
        dropped.map((d) => d.version),
      );
      return { from, to: version, outcome: 'updated', health, ms };
    }
    await this.log(`update to ${version} failed: ${failure}; rolling back to ${from ?? 'nothing'}`);
    const rollbackStarted = performance.now();
    await this.restore(txn, '');
    const next = await this.state();
    next.current = from;
    next.txn = null;
    next.staged = null;
    next.rejected[version] = failure;
    await writeState(this.layout.stateFile, next);
    const rollbackMs = performance.now() - rollbackStarted;
    await this.record({
      event: 'update-failed',
      from,
      to: version,
      reason: failure,
      rollbackMs: Math.round(rollbackMs),
    });
    await this.log(`rolled back to ${from ?? 'nothing'} in ${Math.round(rollbackMs)} ms`);
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
  private async prune(state: AgentState, dropped: string[]): Promise<void> {
    const keep = new Set([...state.kept.map((k) => k.version), state.current]);
    const candidates = new Set([...dropped, ...(await readdir(this.layout.releases).catch(() => []))]);
    for (const v of candidates) {
      if (keep.has(v) || v.endsWith('.unpack')) continue;
      if (state.staged?.version === v) continue;
      await rm(this.layout.release(v), { recursive: true, force: true });
    }
  }

  /** Applies the staged release when its window has opened (the agent's timer calls this). */
  async applyStagedIfDue(): Promise<ApplyResult | null> {
    const state = await this.state();
    if (!state.staged) return null;
    const windows = parseWindows(this.config.update['maintenance-window']);
    const now = this.clock.now();
    if (windows.length > 0 && !activeWindow(windows, now, this.serverZone)) return null;
    const version = state.staged.version;
    return this.exclusive(async () => {
      const client = this.feedClient();
      const candidate = findRelease(await this.indexes(client), version);
      if (!candidate || candidate.yanked) {
        const s = await this.state();
        s.staged = null;
        await writeState(this.layout.stateFile, s);
        await this.log(
          `dropped staged ${version}: ${candidate?.yanked ? `yanked (${candidate.yanked.reason})` : 'no longer in the feed'}`,
        );
        return null;
      }
      const staged = await this.stage(candidate, client);
      return this.apply(version, staged.manifest, performance.now());
    });
  }

  /** `slipway rollback [--version v]`: back to the previous kept version, or to the one named. */
  async rollback(options: { version?: string; dryRun?: boolean } = {}): Promise<ApplyResult> {
    return this.exclusive(async () => {
      const started = performance.now();
      const state = await this.state();
      if (!state.current)
        throw new SlipwayError('NOT_INSTALLED', 'nothing is installed yet, so there is nothing to roll back');
      const older = state.kept.filter((k) => semver.lt(k.version, state.current!));
      const target = options.version ? semver.valid(options.version.replace(/^v/, '')) : (older[0]?.version ?? null);
      if (options.version && target === null)
        throw new SlipwayError(
          'INVALID_VERSION',
          `"${options.version}" is not a version; expected something like v0.4.1`,
        );
      if (target === null)
        throw new SlipwayError(
          'NOTHING_TO_ROLL_BACK',
          `no version older than ${state.current} is kept (kept: ${state.kept.map((k) => k.version).join(', ')}); raise update.keep to keep more`,
        );
      if (
        !state.kept.some((k) => k.version === target) ||
        !(await exists(join(this.layout.release(target), APP_MANIFEST)))
      ) {
        throw new SlipwayError(
          'NOT_KEPT',
          `${target} is not kept on this instance (kept: ${state.kept.map((k) => k.version).join(', ')})`,
        );
      }
      if (target === state.current) throw new SlipwayError('USAGE', `${target} is the running version already`);
      const newer = semver.gt(state.current, target) ? state.current : target;
      const files = await this.manifestOf(newer);
      const old = await this.manifestOf(target);
      const restore: Restore = {
        version: target,
        db: (await expectedDbVersion(old.dir, old.manifest)).toString(),
        config: await expectedConfigVersion(old.dir, old.manifest),
      };
      if (options.dryRun)
        return {
          from: state.current,
          to: target,
          outcome: 'rolled-back',
          reason: `dry run: would migrate the database down to ${restore.db} with ${newer}'s files and switch to ${target}`,
          ms: 0,
        };
      const txn: Transaction = {
        kind: 'rollback',
        from: state.current,
        to: target,
        step: 'begun',
        startedAt: this.clock.now().toISOString(),
        filesFrom: files.dir,
        restore,
      };
      await this.journal(state, txn, 'begun');
      await this.log(`rolling back ${state.current} → ${target}`);
      const health = await this.restore(txn, 'rollback-');
      const next = await this.state();
      next.current = target;
      next.txn = null;
      await writeState(this.layout.stateFile, next);
      this.crash('rollback-committed');
      const ms = performance.now() - started;
      await this.record({
        event: 'rolled-back',
        from: state.current,
        to: target,
        ms: Math.round(ms),
        reason: 'by hand',
      });
      await this.log(
        `rolled back to ${target} (${Math.round(ms)} ms)${health && !health.healthy ? `; WARNING: ${target} is not healthy: ${health.last}` : ''}`,
      );
      return { from: state.current, to: target, outcome: 'rolled-back', ...(health ? { health } : {}), ms };
    });
  }

  /** Does the instance agree with itself: `current`, state, schema and config all of one version? */
  async consistency(): Promise<{
    link: string | null;
    state: string | null;
    db: string;
    expectedDb: string;
    config: number | null;
    expectedConfig: number | null;
    ok: boolean;
    problems: string[];
  }> {
    const state = await this.state();
    const link = await this.currentLink();
    const problems: string[] = [];
    if (state.txn) problems.push(`an interrupted ${state.txn.kind} to ${state.txn.to} is pending recovery`);
    if (link !== state.current)
      problems.push(`current points at ${link ?? 'nothing'} but the state says ${state.current ?? 'nothing'}`);
    let expectedDb = 0n;
    let expectedConfig: number | null = null;
    if (link) {
      const m = await this.manifestOf(link);
      expectedDb = await expectedDbVersion(m.dir, m.manifest);
      expectedConfig = await expectedConfigVersion(m.dir, m.manifest);
    }
    const db = await this.dbVersion();
    const config = await this.configVersion();
    if (db !== expectedDb)
      problems.push(`the database schema is at ${db} but ${link ?? 'no version'} expects ${expectedDb}`);
    if (expectedConfig !== null && config !== expectedConfig)
      problems.push(`config.json is at config_version ${config} but ${link} expects ${expectedConfig}`);
    return {
      link,
      state: state.current,
      db: db.toString(),
      expectedDb: expectedDb.toString(),
      config,
      expectedConfig,
      ok: problems.length === 0,
      problems,
    };
  }
}

type Restore = Transaction['restore'];
