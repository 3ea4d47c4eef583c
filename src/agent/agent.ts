import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRouter, listen } from '../http/router.ts';
import { readOptional } from '../io/optional-read.ts';
import { apiRoutes, loadPage } from './api.ts';
import { SlipwayError } from '../core/errors.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { AppProcess, type AppRuntime } from './app-process.ts';
import { Instance, systemClock, type ApplyResult, type Clock } from './instance.ts';
import { Layout } from './layout.ts';
import { acquireLock } from '../io/lock-file.ts';
import { readNotices } from './notices.ts';
import { operatorFor, readOperators } from './operators.ts';
import { fromCheck } from './notify.ts';
import { writeState } from './state.ts';
import { migrateConfigOnStart } from './steps.ts';
import { commitSwitch, onStart, revert, selfUpdate, type SelfUpdateResult } from './self-update.ts';
import { leanFile, outboxPending, reexecSelf, type LeanHandover } from './lean.ts';

/** The handover to the next executable: the app's process group and version (when it runs), the API port, the next check. */
async function writeHandover(layout: Layout, h: Handover): Promise<void> {
  await writeFileAtomic(layout.handover, `${JSON.stringify({ ...h, at: Date.now() })}\n`, 0o600);
}

interface Handover {
  /** The app left running (absent: none was). */
  pid?: number;
  version?: string;
  /** The API port to keep (the page's address does not change) and when the next check is due. */
  port?: number;
  nextCheck?: number;
  /** How the app runs: the lean agent holds it with this when the next one cannot start (lean.ts). */
  runtime?: AppRuntime;
}

async function takeHandover(layout: Layout): Promise<Handover | null> {
  const text = await readOptional(layout.handover, 'utf8');
  if (text === null) return null;
  await rm(layout.handover, { force: true });
  try {
    const h = JSON.parse(text) as Handover & { at: number };
    // An old handover names a process group that may be another program's by now.
    return Date.now() - h.at < 5 * 60_000 ? h : null;
  } catch {
    return null;
  }
}

/** Replaces this process with another executable (same pid, same arguments). */
function execInto(path: string): never {
  process.execve!(path, [path, ...process.argv.slice(2)], process.env);
  throw new SlipwayError('SELF_UPDATE_FAILED', `could not execute ${path}`);
}

export interface AgentOptions {
  clock?: Clock;
  log?: (line: string) => void;
  /** Delay before the first check (default: a random 0–60 s so a fleet restarted together does not stampede). */
  firstCheckMs?: number;
  /** How often the agent looks at its timers (default 15 s). */
  tickMs?: number;
  serverZone?: string;
  env?: NodeJS.ProcessEnv;
  /** How long the API waits for a request body (default 10 s). */
  apiBodyTimeoutMs?: number;
  /** Idle this long, the agent re-executes itself lean (lean.ts); 0 or absent: never (`slipway agent`: 2 min). */
  leanAfterMs?: number;
}

/** The next check: the interval, give or take 10 % at random, so a fleet spreads its load on the feed. */
export function withJitter(intervalMs: number, random = Math.random): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}

/**
 * `slipway agent`: supervises the app, checks the feed every update.check-interval (with jitter),
 * stages what it finds, applies it now or at the next maintenance window (security releases at
 * once unless update.security-bypass-window is false), and serves the local API on 127.0.0.1.
 */
export class Agent {
  readonly instance: Instance;
  readonly app: AppProcess;
  private server: { close(graceMs?: number): Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextCheck = 0;
  private busy: Promise<unknown> = Promise.resolve();
  private releaseAgentLock: (() => Promise<void>) | null = null;
  private readonly options: AgentOptions;
  url: string | null = null;

  private constructor(instance: Instance, app: AppProcess, options: AgentOptions) {
    this.instance = instance;
    this.app = app;
    this.options = options;
  }

  static async create(root: string, options: AgentOptions = {}): Promise<Agent> {
    const layout = new Layout(root);
    const log = options.log ?? (() => undefined);
    let instance: Instance | null = null;
    const app = new AppProcess({
      pidFile: layout.appPid,
      logFile: join(layout.state, 'app.log'),
      supervised: true,
      log: (l) => void instance?.log(l),
    });
    instance = await Instance.open(root, {
      app,
      log,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.serverZone ? { serverZone: options.serverZone } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    return new Agent(instance, app, options);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Serializes the agent's own work (checks, applies, API calls that change things). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    const layout = this.instance.layout;
    const log = (l: string) => this.instance.log(l);
    // A switch of the agent's own executable: this start proves the new one, or undoes it.
    const { proving, revertTo } = await onStart(layout, log);
    if (revertTo !== null) execInto(layout.agentBinary(revertTo));
    try {
      await this.startUp();
    } catch (error) {
      if (proving === null) throw error;
      const why = `it could not start: ${(error as Error).message}`;
      await log(`Slipway ${proving.to} ${why}; switching back to ${proving.from}`);
      await revert(layout, proving, why);
      await this.server?.close().catch(() => undefined);
      this.app.detach();
      await this.releaseAgentLock?.();
      execInto(layout.agentBinary(proving.from));
    }
    if (proving !== null) {
      await commitSwitch(layout, proving);
      await log(`Slipway ${proving.to} is up (was ${proving.from}); the app kept running`);
    }
  }

  private async startUp(): Promise<void> {
    const layout = this.instance.layout;
    this.releaseAgentLock = await acquireLock(layout.agentLock, {
      heldAcrossExec: true,
      held: (owner) =>
        new SlipwayError(
          'LOCKED',
          `an agent for this install root is running already (pid ${owner ?? 'unknown'} holds ${layout.agentLock}); wait for it to finish`,
        ),
    });
    for (const w of this.instance.warnings) await this.instance.log(`agent.json: ${w}`);
    await this.instance.exclusive(async () => {
      this.handedOver = await takeHandover(layout);
      const state = await this.instance.state();
      if (state.current) {
        await migrateConfigOnStart(this.instance, state.current).catch((error: unknown) =>
          this.instance.log(
            `config.json could not be moved to ${state.current}'s config_version: ${(error as Error).message}`,
          ),
        );
        const { manifest, dir } = await this.instance.manifestOf(state.current);
        const runtime = this.instance.runtime(state.current, dir, manifest).run;
        // Left running by the agent this process was before it re-executed itself: kept as it is.
        const handover = this.handedOver;
        if (handover?.pid !== undefined && handover.version === state.current && this.app.adopt(runtime, handover.pid))
          await this.instance.log(`agent started; ${state.current} kept running (pid ${handover.pid})`);
        else {
          await this.app.start(runtime);
          await this.instance.log(`agent started; running ${state.current}`);
        }
      } else await this.instance.log('agent started; nothing installed yet');
    }, 30_000);
    await this.listen(this.handedOver?.port);
    this.nextCheck =
      this.handedOver?.nextCheck ??
      this.clock.now().getTime() + (this.options.firstCheckMs ?? Math.round(Math.random() * 60_000));
    this.lastActivity = Date.now();
    this.startTimers();
  }

  private handedOver: Handover | null = null;
  private lastActivity = Date.now();
  private leanTimer: NodeJS.Timeout | null = null;

  /**
   * With nothing to do for `afterMs` (no API call, no check, nothing staged, no transaction,
   * no notification waiting), the agent re-executes itself into the lean agent (lean.ts), which
   * holds the app and the port with a fraction of the memory until there is work again.
   */
  private async maybeLean(afterMs: number): Promise<void> {
    if (this.reexecuting || Date.now() - this.lastActivity < afterMs) return;
    // Decided inside the serial work, so no check, apply or self-update runs meanwhile.
    const decided = await this.serial(async () => {
      if (this.reexecuting || Date.now() - this.lastActivity < afterMs) return false;
      // A check due before another idle period is over is done first (and counts as activity).
      if (this.nextCheck - this.clock.now().getTime() < afterMs) return false;
      if (this.app.running() === null) return false;
      const state = await this.instance.state();
      if (state.staged !== null || state.txn !== null || (await outboxPending(this.instance.layout))) return false;
      this.reexecuting = true;
      return true;
    });
    if (!decided) return;
    const decidedAt = Date.now();
    if (this.timer) clearInterval(this.timer);
    if (this.leanTimer) clearInterval(this.leanTimer);
    // API calls that came in meanwhile finish first.
    await this.busy;
    // A self-update that switched meanwhile: its executable, not the lean one, is what comes next.
    if (this.pendingSwitch !== null) return this.reexec(this.pendingSwitch);
    const running = this.app.running();
    if (this.lastActivity > decidedAt || running === null) {
      // Work came in, or the app went: back to work as before.
      this.reexecuting = false;
      this.startTimers();
      return;
    }
    await this.server?.close(1_000);
    await rm(this.instance.layout.api, { force: true });
    const app = this.app.detach();
    if (!app) {
      this.reexecuting = false;
      await this.listen(this.port);
      this.startTimers();
      return;
    }
    const handover: LeanHandover = {
      ...app,
      runtime: running,
      port: this.port,
      nextCheck: this.nextCheck,
      at: Date.now(),
    };
    await writeFileAtomic(leanFile(this.instance.layout), `${JSON.stringify(handover)}\n`, 0o600);
    await this.instance.log(`idle for ${Math.round(afterMs / 1000)} s: going lean until the next check`);
    // The agent lock stays: the same pid holds it across the exec.
    reexecSelf(['agent', '--root', this.instance.layout.root, '--lean']);
  }

  /** The check timer, and the one that looks for an idle period to go lean in. */
  private startTimers(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 15_000);
    this.timer.unref();
    const leanAfter = this.options.leanAfterMs ?? 0;
    if (leanAfter > 0) {
      this.leanTimer = setInterval(() => void this.maybeLean(leanAfter), Math.min(leanAfter, 15_000));
      this.leanTimer.unref();
    }
  }

  /** An executable a self-update switched to while the agent was about to go lean. */
  private pendingSwitch: string | null = null;

  private port = 0;

  /** What the timer does: a check when one is due, and the staged release when its window opens. */
  async tick(): Promise<void> {
    await this.serial(async () => {
      const now = this.clock.now().getTime();
      try {
        if (now >= this.nextCheck) {
          this.nextCheck = now + withJitter(parseDuration(this.instance.config.update['check-interval']));
          await this.checkAndUpdate();
          await this.selfUpdateStep();
          this.lastActivity = Date.now();
        }
        const r = await this.instance.applyStagedIfDue();
        if (r) await this.instance.log(`window open: ${r.outcome} ${r.from ?? ''} → ${r.to}`);
        // Retries of notifications that failed before, outside the serial work (never blocking it).
        this.instance.deliver();
      } catch (error) {
        const message = (error as Error).message;
        await this.instance.log(`check failed: ${message}`);
        // `slipway status` and the page show it until a check succeeds.
        const state = await this.instance.state();
        state.lastCheck = {
          at: this.clock.now().toISOString(),
          available: state.lastCheck?.available ?? null,
          error: message,
        };
        await writeState(this.instance.layout.stateFile, state).catch(() => undefined);
      }
    });
  }

  /** The agent's own update (in the serial work); a switch re-executes once that work is done. */
  private async selfUpdateStep(options: { force?: boolean } = {}): Promise<SelfUpdateResult> {
    const r = await selfUpdate(this.instance, (l) => this.instance.log(l), options).catch(async (error: unknown) => {
      await this.instance.log(`self-update check failed: ${(error as Error).message}`);
      throw error;
    });
    if (r.outcome === 'switching' && this.reexecuting) this.pendingSwitch = r.path;
    else if (r.outcome === 'switching') {
      this.reexecuting = true;
      // After the response (an API call) and the serial work: the new agent starts from a quiet process.
      setTimeout(() => void this.reexec(r.path), 100);
    }
    return r;
  }

  /**
   * What a start reads, without starting anything: the config (read by create), the state, the
   * current release's manifest and the runtime made from it, the operators. `agent --check`.
   */
  async preflight(): Promise<string | null> {
    const state = await this.instance.state();
    await readOperators(this.instance.layout);
    if (state.current) {
      const { manifest, dir } = await this.instance.manifestOf(state.current);
      this.instance.runtime(state.current, dir, manifest);
    }
    return state.current;
  }

  /** `slipway self-update`: the agent's own update, now. */
  selfUpdate(options: { force?: boolean } = {}): Promise<SelfUpdateResult> {
    return this.serial(() => this.selfUpdateStep(options));
  }

  private reexecuting = false;

  /**
   * Becomes the new executable in this same process (execve): the API closes, the app is let go
   * of (not stopped: its output goes to its log file, not to this process) and handed over.
   */
  private async reexec(path: string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    await this.instance.delivered(5_000);
    await this.server?.close(1_000);
    await rm(this.instance.layout.api, { force: true });
    const runtime = this.app.running();
    const app = this.app.detach();
    await writeHandover(this.instance.layout, {
      ...app,
      ...(app && runtime ? { runtime } : {}),
      port: this.port,
      nextCheck: this.nextCheck,
    });
    await this.instance.log(`re-executing into ${path}`);
    // The agent lock stays: the same pid holds it across the exec.
    execInto(path);
  }

  /** One check: stage what is new; apply it now, or in the window. */
  async checkAndUpdate(): Promise<ApplyResult> {
    const r = this.instance.config.update.auto
      ? await this.instance.update({ respectWindow: true })
      : await this.stageOnly();
    const state = await this.instance.state();
    state.lastCheck = {
      at: this.clock.now().toISOString(),
      available: r.outcome === 'up-to-date' ? null : r.to,
      error: null,
    };
    await writeState(this.instance.layout.stateFile, state);
    await this.notifyFindings(state.current, r);
    return r;
  }

  /** What the check found, told once: a release not applied now, advisories, the line's support. */
  private async notifyFindings(current: string | null, r: ApplyResult): Promise<void> {
    const available =
      r.to &&
      r.to !== current &&
      r.outcome !== 'updated' &&
      r.outcome !== 'rolled-back' &&
      // Staged for the window: the staged notification says it already.
      !(r.outcome === 'staged' && this.instance.config.update.auto)
        ? { version: r.to, why: r.reason ?? (r.outcome === 'staged' ? 'it is staged' : 'it is not applied yet') }
        : null;
    for (const { key, n } of fromCheck(current, available, await readNotices(this.instance.layout)))
      await this.instance.notify(n, key);
  }

  private async stageOnly(): Promise<ApplyResult> {
    const check = await this.instance.check();
    const target = check.selection.target;
    if (!target) return { from: check.current, to: check.current ?? '', outcome: 'up-to-date', ms: 0 };
    await this.instance.exclusive(() => this.instance.stage(target, this.instance.feedClient()));
    return { from: check.current, to: target.version, outcome: 'staged', ms: 0, applyAt: null };
  }

  private async listen(keepPort?: number): Promise<void> {
    const layout = this.instance.layout;
    const token = (await readOptional(layout.token, 'utf8'))?.trim() ?? randomBytes(32).toString('hex');
    await writeFileAtomic(layout.token, `${token}\n`, 0o600);
    let hosts = new Set<string>();
    const routes = [...(await loadPage()), ...apiRoutes(this)];
    const handler = createRouter(routes, {
      hosts: () => hosts,
      token,
      tokenHint: layout.token,
      authenticate: async (t) => {
        const o = operatorFor(await readOperators(layout).catch(() => []), t);
        return o ? { name: o.name, role: o.role } : null;
      },
      ...(this.options.apiBodyTimeoutMs ? { bodyTimeoutMs: this.options.apiBodyTimeoutMs } : {}),
      // Only requests let through keep the agent from going lean (not refused ones).
      accepted: () => void (this.lastActivity = Date.now()),
    });
    const configured = this.instance.config.api.port;
    // Back from lean or a self-update: the same port as before when none is configured (the page
    // keeps its address). That port was closed a moment ago, by this pid, so it is tried again for
    // a few seconds; taken still, by someone else, the agent holding the app keeps it supervised
    // on another port (api.json says which, and the CLI checks who listens) rather than exiting.
    const preferred = configured || keepPort || 0;
    const served =
      keepPort === undefined
        ? await listen(handler, { host: '127.0.0.1', port: preferred })
        : await listen(handler, { host: '127.0.0.1', port: preferred, retryMs: 3_000 }).catch(async (error: Error) => {
            const other = await listen(handler, { host: '127.0.0.1', port: 0 });
            await this.instance.log(
              `WARNING: the API's port ${preferred} is taken by another process (${error.message}); the API is on port ${other.port} until the next start`,
            );
            return other;
          });
    this.port = served.port;
    hosts = new Set([`127.0.0.1:${served.port}`, `localhost:${served.port}`]);
    this.server = served;
    this.url = served.url;
    await writeFileAtomic(layout.api, `${JSON.stringify({ url: served.url, pid: process.pid })}\n`, 0o600);
    await this.instance.log(`local API on ${served.url} (token in ${layout.token})`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.leanTimer) clearInterval(this.leanTimer);
    await this.busy;
    await this.instance.delivered(5_000); // the rest stays in the outbox for the next start
    await this.server?.close();
    await rm(this.instance.layout.api, { force: true });
    await this.app.stop();
    await this.instance.log('agent stopped');
    await this.releaseAgentLock?.();
  }
}
