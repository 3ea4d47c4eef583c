import { affectingText } from '../core/advisory/feed.ts';
import { SLIPWAY_VERSION } from '../io/package-info.ts';
import type { CheckResult, Instance } from './instance.ts';

/**
 * What the top of a dashboard shows about updates (the page, and the host app through
 * GET /api/banner and the <slipway-banner> element): one level, a title, the notes' summary and
 * the notes as sanitized HTML, the advisories that affect this instance and its line's support.
 */
export interface Banner {
  level: 'none' | 'info' | 'warning' | 'danger';
  title: string;
  summary: string;
  notesHtml: string;
  current: string | null;
  channel: string;
  update: { version: string; security: string | null; breaking: boolean; held: string | null } | null;
  advisories: string[];
  warnings: string[];
  footer: string;
}

export async function bannerOf(c: CheckResult): Promise<Banner> {
  // markdown-it is loaded when a banner is first asked for, not with the agent.
  const { notesHtml, notesSummary } = await import('./notes-html.ts');
  const t = c.selection.target;
  const security = c.security;
  const advisories = c.current === null ? [] : c.advisories.map((a) => affectingText(c.current!, a));
  const warnings = c.support?.warning ? [c.support.warning] : [];
  const notes = c.manifest?.notes ?? '';
  const level =
    security !== null || advisories.length > 0 ? 'danger' : warnings.length > 0 ? 'warning' : t ? 'info' : 'none';
  const title = t
    ? `Update available: ${t.version}${security ? ` — security (${security})` : ''}`
    : advisories.length > 0
      ? `${c.current} is affected by a security advisory`
      : warnings.length > 0
        ? warnings[0]!
        : `Up to date: ${c.current ?? 'nothing installed'}`;
  return {
    level,
    title,
    summary: t ? notesSummary(notes) : '',
    notesHtml: t ? notesHtml(notes) : '',
    current: c.current,
    channel: c.channel,
    update: t ? { version: t.version, security, breaking: t.breaking, held: c.held } : null,
    advisories,
    warnings,
    footer: `${c.current ?? 'nothing installed'} on ${c.channel} · Slipway v${SLIPWAY_VERSION}`,
  };
}

/** The banner, from a check at most `maxAgeMs` old (a dashboard polls it; the feed is not read each time). */
export function bannerSource(i: Instance, maxAgeMs = 60_000): { get(): Promise<Banner>; reset(): void } {
  let cached: { at: number; banner: Promise<Banner> } | null = null;
  return {
    get() {
      const now = Date.now();
      if (!cached || now - cached.at > maxAgeMs) {
        const banner = i.check().then(bannerOf);
        cached = { at: now, banner };
        banner.catch(() => {
          cached = null;
        });
      }
      return cached.banner;
    },
    reset() {
      cached = null;
    },
  };
}
