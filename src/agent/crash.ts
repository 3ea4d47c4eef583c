/**
 * Crash points: with SLIPWAY_CRASH_AT=<point> the process kills itself with SIGKILL there, as a
 * power cut would. The crash-safety test walks every one of them.
 */
export const CRASH_POINTS = [
  'downloaded',
  'unpacked',
  'begun',
  'app-stopped',
  'snapshotted',
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

/** Dies as a power cut would when SLIPWAY_CRASH_AT names this point (the crash-safety tests walk every one). */
export function crashAt(env: NodeJS.ProcessEnv, point: CrashPoint): void {
  if (env.SLIPWAY_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
