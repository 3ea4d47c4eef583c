import { fixedBy, type AffectingAdvisory } from '../core/advisory/feed.ts';
import type { OsvAdvisory } from '../core/advisory/osv.ts';
import type { LineSupport } from '../core/lifecycle/feed.ts';
import { fetchNotices, type Notices } from './notices.ts';
import { drain, emit, fromHistory, type Notification, type NotifyContext, type Sent } from './notify.ts';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppManifest } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  selectUpdate,
  visibleChannels,
  type Candidate,
  type ChannelIndex,
  type Manifest,
  type Selection,
  type Severity,
} from '../core/feed/manifest.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { parseWindows } from '../core/schedule/window.ts';
import { decideUpdate, type UpdateDecision } from '../core/update/decide.ts';
import { FeedClient } from '../feed/client.ts';
import { acquireLock } from '../io/lock-file.ts';
import { AppProcess, type AppControl } from './app-process.ts';
import { readAgentConfig, type AgentConfig } from './config.ts';
import { systemClock, type Clock, type InstanceContext } from './context.ts';
import { crashAt, type CrashPoint } from './crash.ts';
import { expectedConfigVersion, expectedDbVersion, readReleaseManifest, runtimeOf } from './runtime.ts';
import { Layout } from './layout.ts';
import { stageRelease } from './stage.ts';
import { appendHistory, readHistory, readState, type AgentState, type HistoryEntry } from './state.ts';
import { configVersion, currentLink, dbVersion } from './steps.ts';
import type { ApplyResult } from './transaction.ts';
import { recover } from './way-back.ts';
import { applyStagedIfDue, updateInstance } from './update.ts';
import { rollbackInstance } from './rollback.ts';

export { CRASH_POINTS, type CrashPoint } from './crash.ts';
export { systemClock, type Clock } from './context.ts';
export { nodePlatform } from './runtime.ts';
export type { ApplyResult } from './transaction.ts';

export interface CheckResult {
  current: string | null;
  channel: string;
  selection: Selection;
  manifest: Manifest | null;
  /** Why the target will not be applied automatically (failed or rolled back from before), if so. */
  held: string | null;
  /** What an automatic check would do with it now. */
  decision: UpdateDecision;
  /**
   * The update's security severity: the highest of the releases it carries and of the advisories
   * affecting this instance that it fixes (one published after its release counts too).
   */
  security: Severity | null;
  /** The feed's advisories that affect the installed version, with the releases that fix them. */
  advisories: AffectingAdvisory[];
  /** The support of the installed version's line (from the feed's lifecycle table), when the feed has one. */
  support: LineSupport | null;
}

export interface InstanceOptions {
  clock?: Clock;
  log?: (line: string) => void;
  /** The app controller: the agent's supervisor, or a one-off that starts the app only to health-check it. */
  app?: AppControl;
  serverZone?: string;
  env?: NodeJS.ProcessEnv;
}

export interface UpdateOptions {
  version?: string;
  force?: boolean;
  /** Decide as an automatic check does (windows, holds, approval of majors), not as an operator's command. */
  respectWindow?: boolean;
  dryRun?: boolean;
  progress?: (s: string) => void;
  /**
   * The installer run again: a release held only because an earlier run was cut off (killed,
   * "interrupted at … and rolled back") is tried again; one that failed its health check stays held.
   */
  retryInterrupted?: boolean;
}

/**
 * An installed instance: its layout, settings and state, and the operations on it. Every change
 * runs under the update lock and is journaled in state.json (see transaction.ts), so that a crash
 * at any point is finished or undone on the next start: the instance runs the old version or the
 * new one, never half, with the schema and config that version expects.
 */
export class Instance implements InstanceContext {
  readonly layout: Layout;
  config: AgentConfig;
  readonly clock: Clock;
  readonly app: AppControl;
  readonly env: NodeJS.ProcessEnv;
  readonly serverZone: string;
  readonly warnings: string[];
  private readonly logLine: (line: string) => void;
  /** The channels the last feed read covered (this one and every more stable one). */
  seen: string[] = [];

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

  crash(point: CrashPoint): void {
    crashAt(this.env, point);
  }

  state(): Promise<AgentState> {
    return readState(this.layout.stateFile);
  }

  history(): Promise<HistoryEntry[]> {
    return readHistory(this.layout.history);
  }

  async record(entry: Omit<HistoryEntry, 'at'>): Promise<void> {
    await appendHistory(this.layout.history, { at: this.clock.now().toISOString(), ...entry } as HistoryEntry);
    const n = fromHistory(entry);
    if (n) await this.notify(n);
  }

  private get notifyContext(): NotifyContext {
    return {
      layout: this.layout,
      config: this.config,
      env: this.env,
      now: () => this.clock.now(),
      log: (l) => this.log(l),
    };
  }

  private sending: Promise<Sent> | null = null;
  private sendAgain = false;

  /**
   * Puts a notification in the outbox for every operator who wants it (`key`: only once ever) and
   * starts delivering in the background. Never throws and never waits for a receiver.
   */
  async notify(what: Omit<Notification, 'id' | 'at' | 'instance'>, key?: string): Promise<void> {
    try {
      if ((await emit(this.notifyContext, what, key)) > 0) this.deliver();
    } catch (error) {
      await this.log(`notification "${what.title}" could not be queued: ${(error as Error).message}`);
    }
  }

  /** Delivers what is due in the outbox, in the background (one pass at a time in this process). */
  deliver(): void {
    if (this.sending) {
      this.sendAgain = true;
      return;
    }
    this.sending = drain(this.notifyContext).finally(() => {
      this.sending = null;
      if (this.sendAgain) {
        this.sendAgain = false;
        this.deliver();
      }
    });
  }

  /**
   * Waits for the deliveries under way (a command before it exits, the agent when it stops), at
   * most `timeoutMs`: what is not delivered by then stays in the outbox for the next drain.
   */
  async delivered(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sending && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.sending,
        new Promise<void>((done) => {
          timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
  }

  database(): string {
    return this.config.app.database ?? this.layout.defaultDatabase();
  }

  manifestOf(version: string): Promise<{ manifest: AppManifest; dir: string }> {
    return readReleaseManifest(this.layout, version);
  }

  runtime(version: string, dir: string, app: AppManifest): ReturnType<typeof runtimeOf> {
    return runtimeOf(this, version, dir, app);
  }

  currentLink(): Promise<string | null> {
    return currentLink(this);
  }

  dbVersion(): Promise<bigint> {
    return dbVersion(this);
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

  recover(): Promise<void> {
    return recover(this);
  }

  feedClient(): FeedClient {
    return new FeedClient({
      url: this.config.feed.url,
      metadataDir: this.layout.tuf,
      scratchDir: join(this.layout.staging, 'tuf'),
      downloadDeadlineMs: parseDuration(this.config.update['download-timeout']),
    });
  }

  /**
   * The indexes of this instance's channel and every more stable one; with `from` (the installed
   * version), only the release lines from its own upward (all a check needs on a sharded feed).
   */
  async indexes(client: FeedClient, from: string | null = null): Promise<ChannelIndex[]> {
    const all = await client.channels();
    if (!all.includes(this.config.update.channel)) {
      throw new SlipwayError(
        'UNKNOWN_CHANNEL',
        `update.channel is "${this.config.update.channel}", which this feed does not have; it has ${all.join(', ')} (installing: run the installer again with --channel=<channel>; installed: slipway config set update.channel <channel>)`,
      );
    }
    // The channel and every more stable one, in the feed's own order.
    this.seen = visibleChannels(all, this.config.update.channel);
    const out: ChannelIndex[] = [];
    for (const c of this.seen) out.push(await client.index(c, { from }));
    return out;
  }

  /** The feed's advisories and lifecycle table, as they concern the installed version (notices.ts). */
  notices(client: FeedClient, current: string | null): Promise<{ notices: Notices; osv: OsvAdvisory[] }> {
    return fetchNotices(this.layout, client, this.config.update.channel, current, this.clock.now());
  }

  /** `osv`: the channel's advisories; a target that fixes one affecting this instance is a security update. */
  decide(state: AgentState, selection: Selection, osv: readonly OsvAdvisory[] = []): UpdateDecision {
    const fixes = selection.target ? fixedBy(osv, state.current, selection.target.version) : [];
    return decideUpdate(
      { current: state.current, held: state.rejected, fixes },
      selection,
      {
        windows: parseWindows(this.config.update['maintenance-window']),
        securityBypassWindow: this.config.update['security-bypass-window'],
        autoMajor: this.config.update['auto-major'],
        zone: this.serverZone,
      },
      this.clock.now(),
    );
  }

  /** What the feed offers this instance now (`slipway update check`). */
  async check(): Promise<CheckResult> {
    const state = await this.state();
    const client = this.feedClient();
    const selection = selectUpdate(await this.indexes(client, state.current), state.current);
    const manifest = selection.target ? await client.manifest(selection.target.manifest) : null;
    const held = selection.target ? (state.rejected[selection.target.version] ?? null) : null;
    const { notices, osv } = await this.notices(client, state.current);
    const decision = this.decide(state, selection, osv);
    return {
      current: state.current,
      channel: this.config.update.channel,
      selection,
      manifest,
      held,
      decision,
      security: 'security' in decision ? decision.security : selection.security,
      advisories: notices.advisories,
      support: notices.support,
    };
  }

  stage(candidate: Candidate, client: FeedClient, progress?: (s: string) => void): ReturnType<typeof stageRelease> {
    return stageRelease(this, candidate, client, progress);
  }

  /**
   * `slipway update [--version v]`: check, download, verify, preflight, stage, then apply — now, or
   * (with `respectWindow`) as the update decision says (core/update).
   */
  update(options: UpdateOptions = {}): Promise<ApplyResult> {
    return this.exclusive(() => updateInstance(this, options));
  }

  /** Applies the staged release when its window has opened (the agent's timer calls this). */
  applyStagedIfDue(): Promise<ApplyResult | null> {
    return applyStagedIfDue(this);
  }

  /** `slipway rollback [--version v]`: back to the previous kept version, or to the one named. */
  rollback(options: { version?: string; dryRun?: boolean } = {}): Promise<ApplyResult> {
    return this.exclusive(() => rollbackInstance(this, options));
  }

  /** Does the instance agree with itself: `current`, state, schema and config all of one version? */
  async consistency(): Promise<Consistency> {
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
    const config = await configVersion(this);
    if (db !== expectedDb)
      problems.push(`the database schema is at ${db} but ${link ?? 'no version'} expects ${expectedDb}`);
    if (expectedConfig !== null && config !== expectedConfig)
      problems.push(`config.json is at config_version ${config} but ${link} expects ${expectedConfig}`);
    const ok = problems.length === 0;
    return {
      link,
      state: state.current,
      db: db.toString(),
      expectedDb: expectedDb.toString(),
      config,
      expectedConfig,
      ok,
      problems,
    };
  }
}

/** Whether `current`, the state, the schema and config.json agree (doctor, the tests). */
export interface Consistency {
  link: string | null;
  state: string | null;
  db: string;
  expectedDb: string;
  config: number | null;
  expectedConfig: number | null;
  ok: boolean;
  problems: string[];
}
