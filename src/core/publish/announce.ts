/**
 * An announcement of a release, as the incoming webhooks of Slack, Mattermost (both {"text"},
 * Markdown-ish) and Discord ({"content"}, at most 2000 characters) take it.
 */

export type WebhookFormat = 'slack' | 'discord' | 'mattermost';

export interface Announcement {
  project: string;
  version: string;
  channel: string;
  /** The release's page (a forge release, the feed's release folder), if there is one. */
  url: string | null;
  security: { severity: string } | null;
  breaking: boolean;
  notes: string;
}

/** The first lines of the notes that say something: the headings and bullets, capped. */
export function summary(notes: string, max = 12): string[] {
  const lines = notes
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /^\s*([-*]|#{2,4}\s)/.test(l))
    .map((l) => l.replace(/^#{2,4}\s+/, '*').replace(/^(\*[^*]+)$/, '$1*'));
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more`] : lines;
}

export function announcementText(a: Announcement): string {
  const head = [
    a.security ? `:rotating_light: Security release (${a.security.severity})` : null,
    `${a.project} ${a.version} is out on ${a.channel}${a.breaking ? ' (breaking changes: read the upgrade notes)' : ''}`,
  ]
    .filter((x) => x !== null)
    .join(': ');
  return [head, ...summary(a.notes), ...(a.url === null ? [] : [a.url])].join('\n');
}

export function webhookPayload(format: WebhookFormat, a: Announcement): Record<string, unknown> {
  const text = announcementText(a);
  if (format === 'discord') return { content: text.length > 2000 ? `${text.slice(0, 1990)}\n…` : text };
  return { text };
}
