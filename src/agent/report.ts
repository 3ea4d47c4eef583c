import { describeWindows, nextWindowStart, parseWindows, activeWindow } from '../core/schedule/window.ts';
import type { AffectingAdvisory } from '../core/advisory/feed.ts';
import type { LineSupport } from '../core/lifecycle/feed.ts';
import type { Instance } from './instance.ts';
import { SLIPWAY_VERSION } from '../io/package-info.ts';
import { noticeLines, readNotices } from './notices.ts';
import { outbox } from './notify.ts';

export interface StatusReport {
  /** Slipway's own version (the page's footer). */
  slipway: string;
  root: string;
  current: string | null;
  channel: string;
  feed: string;
  kept: { version: string; installedAt: string; channel: string }[];
  staged: { version: string; applyAt: string | null; security: string | null } | null;
  lastCheck: { at: string; available: string | null; error: string | null } | null;
  pending: string | null;
  window: { windows: string; open: boolean; next: string | null };
  agent: { running: boolean; pid: number | null; appRunning: boolean | null };
  /** Versions the agent will not apply by itself, with why (rolled back from, failed, refused). */
  rejected: Record<string, string>;
  /** A way back that failed and what a person must do (see doctor). */
  attention: { at: string; running: string | null; problem: string; fix: string[] } | null;
  /** From the last check: the advisories that affect the installed version, and its line's support. */
  advisories: AffectingAdvisory[];
  support: LineSupport | null;
  /** Notifications not delivered yet, and those that failed for good (slipway notify status). */
  notifications: { pending: number; failed: number };
  /** The same, as lines an operator reads ("1.4.2 is affected by …", "… gets security fixes only …"). */
  warnings: string[];
}

export async function describeStatus(i: Instance, agent?: { app: { running(): unknown } }): Promise<StatusReport> {
  const s = await i.state();
  const windows = parseWindows(i.config.update['maintenance-window']);
  const now = i.clock.now();
  const n = await readNotices(i.layout);
  const fresh = n !== null && n.version === s.current;
  return {
    slipway: SLIPWAY_VERSION,
    root: i.layout.root,
    current: s.current,
    channel: i.config.update.channel,
    feed: i.config.feed.url,
    kept: s.kept.map((k) => ({ version: k.version, installedAt: k.installedAt, channel: k.channel })),
    staged: s.staged ? { version: s.staged.version, applyAt: s.staged.applyAt, security: s.staged.security } : null,
    lastCheck: s.lastCheck,
    pending: s.txn ? `${s.txn.kind} to ${s.txn.to} interrupted after "${s.txn.step}"` : null,
    window: {
      windows: describeWindows(windows),
      open: windows.length === 0 || activeWindow(windows, now, i.serverZone) !== null,
      next: nextWindowStart(windows, now, i.serverZone)?.toISOString() ?? null,
    },
    agent: {
      running: agent !== undefined,
      pid: agent ? process.pid : null,
      appRunning: agent ? agent.app.running() !== null : null,
    },
    rejected: s.rejected,
    attention: s.attention,
    advisories: fresh ? n.advisories : [],
    support: fresh ? n.support : null,
    warnings: noticeLines(s.current, n),
    notifications: await outbox(i.layout).then(
      (o) => ({ pending: o.pending.length, failed: o.failed.length }),
      () => ({ pending: 0, failed: 0 }),
    ),
  };
}
