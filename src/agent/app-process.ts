import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { alive } from '../io/lock-file.ts';

export interface AppRuntime {
  version: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  stopTimeoutMs: number;
}

/** Starts and stops the managed app. The agent supervises it; a one-off command only health-checks it. */
export interface AppControl {
  readonly supervised: boolean;
  start(runtime: AppRuntime): Promise<void>;
  stop(): Promise<void>;
  running(): AppRuntime | null;
  /** Calls `listener` when the app exits or cannot start (not when it is stopped); returns the unsubscribe. */
  onExit(listener: (why: string) => void): () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether any process of the group is left (its leader may be gone: a start script that forked and exited). */
function groupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' || alive(pgid);
  }
}

/**
 * Whether a process has exited but was not reaped: an adopted app is this process's child (the
 * previous agent, re-executed, spawned it) yet unknown to it, so its exit leaves a zombie that
 * still answers kill(pid, 0).
 */
export function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // An adopted app's leader that exited stays a zombie of this process: it is gone.
    if (!groupAlive(pid) || zombie(pid)) return true;
    await sleep(25);
  }
  return !groupAlive(pid);
}

/** Stops a process group: SIGTERM, then SIGKILL after the grace period. */
async function stopGroup(pid: number, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {
        // gone
      }
    }
  };
  signal('SIGTERM');
  if (await waitExit(pid, graceMs)) return;
  signal('SIGKILL');
  await waitExit(pid, 5000);
}

/**
 * An app left running by an updater or agent that was killed (SIGKILL, power loss): its pid file
 * says which process group it was. Stopped before anything else touches the release.
 */
export async function stopStray(pidFile: string, graceMs = 5000): Promise<number | null> {
  const text = await readFile(pidFile, 'utf8').catch(() => null);
  if (text === null) return null;
  const pid = Number(text.trim());
  let stopped: number | null = null;
  if (groupAlive(pid)) {
    await stopGroup(pid, graceMs);
    stopped = pid;
  }
  await rm(pidFile, { force: true });
  return stopped;
}

export interface ProcessOptions {
  pidFile: string;
  logFile: string;
  supervised: boolean;
  log: (line: string) => void;
  /** Restart delays grow from this (doubling, capped at 30 s). */
  backoffMs?: number;
}

/** Runs the app as a child process in its own process group; output goes to the app log. */
export class AppProcess implements AppControl {
  readonly supervised: boolean;
  private child: ChildProcess | null = null;
  private runtime: AppRuntime | null = null;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly options: ProcessOptions;
  private readonly exitListeners = new Set<(why: string) => void>();
  /** The process group of the last child, kept after its leader exits: what it forked is stopped with it. */
  private lastGroup: number | null = null;

  constructor(options: ProcessOptions) {
    this.options = options;
    this.supervised = options.supervised;
  }

  /** An app left running by the agent this one replaced (self-update), watched by its pid. */
  private adopted: number | null = null;
  private adoptTimer: NodeJS.Timeout | null = null;

  running(): AppRuntime | null {
    return this.child || this.adopted !== null ? this.runtime : null;
  }

  /**
   * Takes over an app the previous agent started (the same process, re-executed into a new
   * executable): it keeps running untouched and is watched by polling, since this process never
   * spawned it. When it exits, it is restarted as any app is.
   */
  adopt(runtime: AppRuntime, pid: number): boolean {
    if (!groupAlive(pid) || zombie(pid)) return false;
    this.stopping = false;
    this.runtime = runtime;
    this.restarts = 0;
    this.adopted = pid;
    this.lastGroup = pid;
    const startedAt = Date.now();
    this.adoptTimer = setInterval(() => {
      if (this.adopted === null || (!zombie(pid) && alive(pid))) return;
      this.clearAdopted();
      if (this.stopping) return;
      this.options.log(`app ${runtime.version} (pid ${pid}) exited`);
      this.exited('exited');
      if (groupAlive(pid)) void stopGroup(pid, runtime.stopTimeoutMs);
      this.scheduleRestart(runtime, startedAt);
    }, 500);
    this.adoptTimer.unref();
    return true;
  }

  private clearAdopted(): void {
    if (this.adoptTimer) clearInterval(this.adoptTimer);
    this.adoptTimer = null;
    this.adopted = null;
  }

  /**
   * Lets go of the app without stopping it (the agent is about to re-execute itself): returns its
   * process group and version for the next agent to adopt.
   */
  detach(): { pid: number; version: string } | null {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.child?.pid ?? this.adopted;
    this.child?.removeAllListeners('exit');
    this.child = null;
    this.clearAdopted();
    return pid !== null && pid !== undefined && this.runtime ? { pid, version: this.runtime.version } : null;
  }

  onExit(listener: (why: string) => void): () => void {
    this.exitListeners.add(listener);
    return () => void this.exitListeners.delete(listener);
  }

  private exited(why: string): void {
    for (const l of [...this.exitListeners]) l(why);
  }

  async start(runtime: AppRuntime): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.runtime = runtime;
    this.restarts = 0;
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    const runtime = this.runtime!;
    const out = await open(this.options.logFile, 'a', 0o600);
    const child = spawn(runtime.command[0]!, runtime.command.slice(1), {
      cwd: runtime.cwd,
      env: { ...process.env, ...runtime.env },
      stdio: ['ignore', out.fd, out.fd],
      detached: true,
    });
    // Listeners first, before any await: a child that exits at once must not go unseen.
    this.child = child;
    const startedAt = Date.now();
    // A command that cannot be run (ENOENT, EACCES) is an app that failed, never a crash of the updater.
    child.on('error', (e) => {
      this.options.log(`app ${runtime.version} could not start: ${e.message}`);
      if (this.child === child) this.child = null;
      if (!this.stopping) this.exited(`could not start: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.stopping) return;
      this.options.log(`app ${runtime.version} exited (${signal ?? `status ${code}`})`);
      this.exited(signal ? `killed by ${signal}` : `exit status ${code}`);
      // What the app forked (a start script that daemonized) goes with it: it would hold the port.
      if (child.pid !== undefined && groupAlive(child.pid)) void stopGroup(child.pid, runtime.stopTimeoutMs);
      this.scheduleRestart(runtime, startedAt);
    });
    await out.close();
    if (child.pid !== undefined) {
      this.lastGroup = child.pid;
      await writeFileAtomic(this.options.pidFile, `${child.pid}\n`, 0o600);
    }
  }

  private scheduleRestart(runtime: AppRuntime, startedAt: number): void {
    if (!this.supervised) return;
    if (Date.now() - startedAt > 60_000) this.restarts = 0;
    const delay = Math.min(30_000, (this.options.backoffMs ?? 500) * 2 ** this.restarts);
    this.restarts++;
    this.options.log(`restarting app ${runtime.version} in ${delay} ms (restart ${this.restarts})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) {
        this.spawn().catch((error: unknown) => {
          // The next exit (or the operator) tries again; an agent never dies of a failed restart.
          this.options.log(`could not restart app ${runtime.version}: ${(error as Error).message}`);
        });
      }
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const adopted = this.adopted;
    this.clearAdopted();
    if (adopted !== null && groupAlive(adopted)) await stopGroup(adopted, this.runtime?.stopTimeoutMs ?? 10_000);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.child = null;
    const pgid = child?.pid ?? this.lastGroup;
    if (pgid !== null && pgid !== undefined && groupAlive(pgid))
      await stopGroup(pgid, this.runtime?.stopTimeoutMs ?? 10_000);
    this.lastGroup = null;
    await stopStray(this.options.pidFile);
  }
}
