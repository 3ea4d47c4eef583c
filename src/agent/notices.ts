import { affecting, affectingText, type AffectingAdvisory } from '../core/advisory/feed.ts';
import type { OsvAdvisory } from '../core/advisory/osv.ts';
import { lineSupport, type LineSupport } from '../core/lifecycle/feed.ts';
import type { FeedClient } from '../feed/client.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { readOptional } from '../io/optional-read.ts';
import type { Layout } from './layout.ts';

/**
 * What the feed last said about the installed version: the advisories that affect it and the
 * support of its line. Kept in state/notices.json (not state.json, so that writing it never races
 * an update's journal) for `status`, `doctor`, the page and the notifications.
 */
export interface Notices {
  at: string;
  version: string | null;
  advisories: AffectingAdvisory[];
  support: LineSupport | null;
}

export const noticesFile = (layout: Layout): string => `${layout.state}/notices.json`;

export async function readNotices(layout: Layout): Promise<Notices | null> {
  const text = await readOptional(noticesFile(layout), 'utf8');
  if (text === null) return null;
  try {
    return JSON.parse(text) as Notices;
  } catch {
    return null; // rewritten by the next check
  }
}

/**
 * Reads the channel's advisories and lifecycle table and records what they say about `current`.
 * An older feed has neither, and one that cannot be read must not stop a check or an update.
 */
export async function fetchNotices(
  layout: Layout,
  client: FeedClient,
  channel: string,
  current: string | null,
  now: Date,
): Promise<{ notices: Notices; osv: OsvAdvisory[] }> {
  const osv = await client.advisories(channel).catch(() => [] as OsvAdvisory[]);
  const table = await client.lifecycle(channel).catch(() => null);
  const notices: Notices = {
    at: now.toISOString(),
    version: current,
    advisories: affecting(osv, current),
    support: table === null ? null : lineSupport(table, current),
  };
  await writeFileAtomic(noticesFile(layout), `${JSON.stringify(notices, null, 2)}\n`).catch(() => undefined);
  return { notices, osv };
}

/** The notices as an operator reads them, or none when they are about another version than `current`. */
export function noticeLines(current: string | null, n: Notices | null): string[] {
  if (n === null || current === null || n.version !== current) return [];
  return [...n.advisories.map((a) => affectingText(current, a)), ...(n.support?.warning ? [n.support.warning] : [])];
}
