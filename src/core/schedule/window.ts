import { SlipwayError } from '../errors.ts';

/**
 * Maintenance windows: "Sun 02:00-06:00", several separated by commas ("Sat 03:00-05:00,Sun
 * 02:00-06:00"), day ranges and lists ("Mon-Fri 01:00-02:00", "Sat,Sun 02:00-04:00"), every day
 * ("daily 03:00-04:00" or "* 03:00-04:00"), windows that cross midnight ("Sat 23:00-01:00" runs
 * into Sunday), in the server's local time or an IANA time zone given after the times
 * ("Sun 02:00-06:00 Europe/Berlin"). Pure: the caller passes the instant and the server's zone.
 */
export interface Window {
  /** Days the window starts on, 0 = Sunday. */
  days: number[];
  /** Minutes after local midnight. */
  start: number;
  end: number;
  /** IANA zone, or null for the server's local time. */
  zone: string | null;
  text: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
// A Map, not an object: "constructor" or "toString" must not pass for a day.
const DAY_NAMES = new Map<string, number>(
  DAYS.flatMap((d, i) => [
    [d, i],
    [['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][i]!, i],
  ]),
);

function bad(part: string, why: string): SlipwayError {
  return new SlipwayError(
    'USAGE',
    `maintenance window "${part}": ${why}. Expected e.g. "Sun 02:00-06:00", "Sat 03:00-05:00,Sun 02:00-06:00", "Mon-Fri 01:00-02:00" or "daily 03:00-04:00 Europe/Berlin"`,
  );
}

function day(name: string, part: string): number {
  const d = DAY_NAMES.get(name.toLowerCase());
  if (d === undefined) throw bad(part, `"${name}" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun`);
  return d;
}

function time(text: string, part: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) throw bad(part, `"${text}" is not a time; use HH:MM`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min !== 0)) throw bad(part, `"${text}" is not a time of day (00:00 to 24:00)`);
  return h * 60 + min;
}

export function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function parseWindows(text: string): Window[] {
  if (text.trim() === '') return [];
  const windows: Window[] = [];
  // Commas separate windows, except inside a day list ("Sat,Sun 02:00-04:00").
  const parts: string[] = [];
  let pending = '';
  for (const piece of text.split(',')) {
    if (/^\s*[A-Za-z]+(?:-[A-Za-z]+)?\s*$/.test(piece)) pending += `${piece.trim()},`;
    else {
      parts.push(pending + piece.trim());
      pending = '';
    }
  }
  if (pending !== '') parts.push(pending.replace(/,$/, ''));
  for (const raw of parts) {
    const part = raw.trim();
    const m = /^(\S+)\s+(\S+)-(\S+?)(?:\s+(\S+))?$/.exec(part);
    if (!m) throw bad(part, 'expected days, a time range and optionally a time zone');
    const [, daySpec, from, to, zone] = m;
    let days: number[];
    if (daySpec === '*' || daySpec!.toLowerCase() === 'daily') days = [0, 1, 2, 3, 4, 5, 6];
    else {
      days = [];
      for (const item of daySpec!.split(',')) {
        const range = item.split('-');
        if (range.length === 2) {
          const a = day(range[0]!, part);
          const b = day(range[1]!, part);
          for (let d = a; ; d = (d + 1) % 7) {
            days.push(d);
            if (d === b) break;
          }
        } else if (range.length === 1) days.push(day(item, part));
        else throw bad(part, `"${item}" is not a day or a day range`);
      }
    }
    const start = time(from!, part);
    const end = time(to!, part);
    if (start === end) throw bad(part, 'the window starts and ends at the same time');
    if (start === 24 * 60) throw bad(part, 'a window cannot start at 24:00; use 00:00 of the next day');
    if (zone !== undefined && !validZone(zone))
      throw bad(part, `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
    windows.push({ days: [...new Set(days)].sort(), start, end, zone: zone ?? null, text: part });
  }
  return windows;
}

interface Local {
  weekday: number;
  minutes: number;
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function local(instant: Date, zone: string): Local {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  return {
    weekday: DAYS.indexOf(p.weekday!.toLowerCase()),
    minutes: Number(p.hour) * 60 + Number(p.minute),
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
  };
}

/** The instant of a local wall-clock time in a zone (DST gaps move forward, as clocks do). */
function instantOf(year: number, month: number, dayOfMonth: number, minutes: number, zone: string): Date {
  const guess = Date.UTC(year, month - 1, dayOfMonth, 0, minutes);
  let t = guess;
  for (let i = 0; i < 3; i++) {
    const l = local(new Date(t), zone);
    const asUtc = Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes);
    const diff = guess - asUtc;
    if (diff === 0) break;
    t += diff;
  }
  return new Date(Math.floor(t / 60_000) * 60_000);
}

function inWindow(w: Window, now: Date, serverZone: string): boolean {
  const l = local(now, w.zone ?? serverZone);
  if (w.start < w.end) return w.days.includes(l.weekday) && l.minutes >= w.start && l.minutes < w.end;
  // Crosses midnight: the evening of a listed day, or the early hours after one.
  return (
    (w.days.includes(l.weekday) && l.minutes >= w.start) || (w.days.includes((l.weekday + 6) % 7) && l.minutes < w.end)
  );
}

/** The window `now` falls in, or null. No windows configured means "any time". */
export function activeWindow(windows: readonly Window[], now: Date, serverZone: string): Window | null {
  return windows.find((w) => inWindow(w, now, serverZone)) ?? null;
}

/** When the next window opens after `now` (or now, when one is open). Null when none is configured. */
export function nextWindowStart(windows: readonly Window[], now: Date, serverZone: string): Date | null {
  if (windows.length === 0) return null;
  if (activeWindow(windows, now, serverZone)) return now;
  let best: Date | null = null;
  for (const w of windows) {
    const zone = w.zone ?? serverZone;
    const today = local(now, zone);
    for (let offset = 0; offset <= 7; offset++) {
      const weekday = (today.weekday + offset) % 7;
      if (!w.days.includes(weekday)) continue;
      const base = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
      const at = instantOf(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), w.start, zone);
      if (at.getTime() > now.getTime()) {
        if (best === null || at < best) best = at;
        break;
      }
    }
  }
  return best;
}

export function describeWindows(windows: readonly Window[]): string {
  return windows.length === 0 ? 'none (updates apply at once)' : windows.map((w) => w.text).join(', ');
}
