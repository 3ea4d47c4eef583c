import type { AppManifest } from '../core/app-manifest.ts';
import type { AppControl } from './app-process.ts';
import type { AgentConfig } from './config.ts';
import type { CrashPoint } from './crash.ts';
import type { Layout } from './layout.ts';
import type { HistoryEntry } from './state.ts';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What the steps of an update (stage, transaction) need of the instance they work on. */
export interface InstanceContext {
  readonly layout: Layout;
  readonly config: AgentConfig;
  readonly clock: Clock;
  /** The app controller: the agent's supervisor, or a one-off that starts the app only to health-check it. */
  readonly app: AppControl;
  readonly env: NodeJS.ProcessEnv;
  log(line: string): Promise<void>;
  record(entry: Omit<HistoryEntry, 'at'>): Promise<void>;
  crash(point: CrashPoint): void;
  manifestOf(version: string): Promise<{ manifest: AppManifest; dir: string }>;
  /** The app's database: a SQLite path or a postgres:// URL. */
  database(): string;
}
