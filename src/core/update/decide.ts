import semver from 'semver';
import { severityRank, type Candidate, type Selection, type Severity } from '../feed/manifest.ts';
import { activeWindow, nextWindowStart, type Window } from '../schedule/window.ts';

/**
 * What an instance does with what the feed offers, decided as a value from the installed state,
 * the feed's selection (every release between installed and target), the settings and `now`.
 * The agent only carries it out. Pure: no I/O, no clock.
 */
export type UpdateDecision =
  | { action: 'nothing'; reason: string }
  | { action: 'hold'; target: Candidate; reason: string }
  | { action: 'wait-for-approval'; target: Candidate; reason: string }
  | { action: 'stage'; target: Candidate; applyAt: Date | null; security: Severity | null; reason: string }
  | { action: 'apply-now'; target: Candidate; security: Severity | null; reason: string };

export interface UpdateSettings {
  windows: readonly Window[];
  /** Security releases apply at once, outside the windows (update.security-bypass-window). */
  securityBypassWindow: boolean;
  /** A new major version applies without the operator's approval (update.auto-major). */
  autoMajor: boolean;
  /** The server's IANA zone, for windows written without one. */
  zone: string;
}

export interface InstalledState {
  current: string | null;
  /** Versions this instance will not apply by itself, with why (failed here, or rolled back from). */
  held: Readonly<Record<string, string>>;
  /** Versions the operator approved (a major that waits for approval). */
  approved?: readonly string[];
  /**
   * Advisories that affect the installed version and that the target fixes (core/advisory
   * fixedBy): the update is a security update even when its own manifest does not say so (the
   * advisory was published after the fix went out).
   */
  fixes?: readonly { id: string; severity: Severity }[];
}

/** Decides what an automatic check does (the agent's timer, or `slipway update` respecting windows). */
export function decideUpdate(
  installed: InstalledState,
  selection: Selection,
  settings: UpdateSettings,
  now: Date,
): UpdateDecision {
  const target = selection.target;
  if (!target) return { action: 'nothing', reason: 'up to date' };
  const why = installed.held[target.version];
  if (why !== undefined)
    return {
      action: 'hold',
      target,
      reason: `${target.version} failed before or was rolled back from (${why}); apply it by hand with slipway update --version ${target.version}`,
    };
  // Security counts for every release the update carries, not only the one it lands on.
  let security = selection.security;
  const fixes = installed.fixes ?? [];
  for (const f of fixes) if (severityRank(f.severity) > severityRank(security)) security = f.severity;
  const fixing =
    fixes.length > 0 ? ` (fixes ${fixes.map((f) => f.id).join(', ')}, which affect ${installed.current})` : '';
  const major =
    installed.current !== null && semver.major(target.version) > semver.major(installed.current) && !target.hotfix;
  if (major && !settings.autoMajor && !(installed.approved ?? []).includes(target.version))
    return {
      action: 'wait-for-approval',
      target,
      reason: `${target.version} is a new major version; read its upgrade notes, then apply it with slipway update --version ${target.version} (or set update.auto-major true)`,
    };
  if (security !== null && settings.securityBypassWindow)
    return { action: 'apply-now', target, security, reason: `a ${security} security fix applies at once${fixing}` };
  if (settings.windows.length === 0)
    return { action: 'apply-now', target, security, reason: 'no maintenance window is set' };
  if (activeWindow(settings.windows, now, settings.zone))
    return { action: 'apply-now', target, security, reason: 'the maintenance window is open' };
  const at = nextWindowStart(settings.windows, now, settings.zone);
  return {
    action: 'stage',
    target,
    applyAt: at,
    security,
    reason: at ? `waiting for the maintenance window (${at.toISOString()})` : 'waiting for a maintenance window',
  };
}
