/**
 * A stop asked for while the agent's code still loads. The agent re-executes itself (going lean,
 * waking, a self-update); a SIGTERM that comes in the moments the new image loads its modules
 * would kill it with Node's default action and leave the app it holds running with no agent.
 * The entry points call `catchEarlyStop()` first for `slipway agent`; the agent's stop signal
 * then takes what came (`takeEarlyStop()`). Shared through a global symbol: the single
 * executable runs its launcher and its scripts as separate bundles.
 */
const REQUESTED = Symbol.for('slipway.stop-requested');
const LISTENER = Symbol.for('slipway.early-stop-listener');
type Slots = Record<symbol, unknown>;

export function catchEarlyStop(): void {
  const g = globalThis as unknown as Slots;
  if (g[LISTENER]) return;
  const on = (): void => void (g[REQUESTED] = true);
  g[LISTENER] = on;
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
}

/** Whether a stop came before now; the early listener is removed (the caller's own takes over). */
export function takeEarlyStop(): boolean {
  const g = globalThis as unknown as Slots;
  const on = g[LISTENER] as (() => void) | undefined;
  if (on) {
    process.off('SIGTERM', on);
    process.off('SIGINT', on);
    delete g[LISTENER];
  }
  return g[REQUESTED] === true;
}
