import semver from 'semver';
import { SlipwayError } from '../errors.ts';
import type { Released } from './lifecycle.ts';

/**
 * The release calendar: planned versions with a target (a month, a day or a quarter), each row's
 * status derived from the tags, and the cadence check (a channel's newest release older than its
 * cadence). No I/O, no clock.
 */

export interface PlannedRelease {
  version: string;
  /** "2026-06", "2026-06-15" or "2026-Q3". */
  target: string;
  focus?: string | undefined;
}

export type CalendarStatus = 'released' | 'planning' | 'planned' | 'late';

export interface CalendarRow {
  version: string;
  target: string;
  /** The last day the target allows (YYYY-MM-DD). */
  due: string;
  focus: string | null;
  status: CalendarStatus;
  released: string | null;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The first and last day of a target; a clear error for anything else. */
export function parseTarget(target: string): { start: string; end: string; label: string } {
  const lastDay = (y: number, m: number): string => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  let m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(target);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return { start: `${target}-01`, end: lastDay(y, mo), label: `${MONTHS[mo - 1]} ${y}` };
  }
  m = /^(\d{4})-Q([1-4])$/.exec(target);
  if (m) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    return {
      start: `${y}-${String(q * 3 - 2).padStart(2, '0')}-01`,
      end: lastDay(y, q * 3),
      label: `Q${q} ${y}`,
    };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(target);
  if (m && new Date(`${target}T00:00:00Z`).toISOString().slice(0, 10) === target)
    return { start: target, end: target, label: target };
  throw new SlipwayError(
    'CONFIG_INVALID',
    `calendar target "${target}" is not a date; expected a month (2026-06), a day (2026-06-15) or a quarter (2026-Q3)`,
  );
}

export function calendarRows(
  planned: readonly PlannedRelease[],
  released: readonly Released[],
  today: string,
): CalendarRow[] {
  const rows = planned
    .map((p) => ({ p, t: parseTarget(p.target) }))
    .sort((a, b) => (a.t.end < b.t.end ? -1 : a.t.end > b.t.end ? 1 : semver.compare(a.p.version, b.p.version)));
  let planning = false;
  return rows.map(({ p, t }): CalendarRow => {
    const done = released.find((r) => r.version === p.version) ?? null;
    let status: CalendarStatus;
    if (done !== null) status = 'released';
    else if (t.end < today) status = 'late';
    else if (!planning) {
      status = 'planning';
      planning = true;
    } else status = 'planned';
    return {
      version: p.version,
      target: p.target,
      due: t.end,
      focus: p.focus ?? null,
      status,
      released: done?.date ?? null,
    };
  });
}

const SHOWN: Record<CalendarStatus, string> = {
  released: '✅ Released',
  planning: '🔄 Planning',
  planned: '📋 Planned',
  late: '⚠️ Late',
};

/** The library strategy's table: | Version | Target Date | Status | Focus |. */
export function calendarMarkdown(rows: readonly CalendarRow[]): string {
  return [
    '| Version | Target Date | Status | Focus |',
    '|---------|-------------|--------|-------|',
    ...rows.map(
      (r) =>
        `| v${r.version} | ${parseTarget(r.target).label} | ${SHOWN[r.status]}${r.released ? ` (${r.released})` : ''} | ${r.focus ?? ''} |`,
    ),
    '',
  ].join('\n');
}

export interface CadenceCheck {
  channel: string;
  every: string;
  newest: Released | null;
  /** Days since the newest release on the channel. */
  ageDays: number | null;
  overdue: boolean;
}

/** Per channel with a cadence: is its newest release older than the cadence allows? */
export function cadenceChecks(
  cadence: Record<string, { text: string; ms: number }>,
  newest: Record<string, Released | null>,
  now: Date,
): CadenceCheck[] {
  return Object.entries(cadence).map(([channel, every]) => {
    const n = newest[channel] ?? null;
    const age = n === null ? null : now.getTime() - new Date(`${n.date}T00:00:00Z`).getTime();
    return {
      channel,
      every: every.text,
      newest: n,
      ageDays: age === null ? null : Math.floor(age / 86_400_000),
      overdue: age === null || age > every.ms,
    };
  });
}
