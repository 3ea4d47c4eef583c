import type { ChangeEntry, ReleaseChanges } from './entries.ts';
import { groupBySection } from './entries.ts';
import { commitUrl, issueUrl, type LinkContext } from './links.ts';

const SUBJECT_REF = /(^|[\s(])#(\d+)\b/g;

/** One bullet, with its migration text indented under it so it stays part of the item. */
export function renderEntry(entry: ChangeEntry, ctx: LinkContext): string {
  let subject = entry.subject;
  if (ctx.repository !== null) {
    subject = subject.replace(
      SUBJECT_REF,
      (_all, lead: string, id: string) => `${lead}[#${id}](${issueUrl(ctx, { issue: id, repository: null })})`,
    );
  }
  let line = '- ';
  if (entry.breaking) line += '**BREAKING** ';
  if (entry.scope !== null) line += `**${entry.scope}:** `;
  line += subject;
  const extra = entry.references.filter(
    (r) => r.action !== null && !(r.repository === null && new RegExp(`#${r.issue}\\b`).test(entry.subject)),
  );
  if (extra.length > 0) {
    const parts = extra.map((r) => {
      const label = `${r.repository ?? ''}#${r.issue}`;
      const url = issueUrl(ctx, r);
      return `${r.action} ${url === null ? label : `[${label}](${url})`}`;
    });
    line += ` (${parts.join(', ')})`;
  }
  const short = entry.sha.slice(0, 7);
  const url = commitUrl(ctx, entry.sha);
  line += url === null ? ` (${short})` : ` ([${short}](${url}))`;
  for (const note of entry.notes) {
    line +=
      '\n\n' +
      note
        .split('\n')
        .map((l) => (l.trim() === '' ? '' : `  ${l}`))
        .join('\n');
  }
  return line;
}

export function renderHeading(version: string | null, date: string | null): string {
  if (version === null) return '## [Unreleased]';
  return date === null || date === '' ? `## [${version}]` : `## [${version}] - ${date}`;
}

/** The subsections of a release: "### Added" and its bullets, a blank line between sections. */
export function renderSections(entries: readonly ChangeEntry[], order: readonly string[], ctx: LinkContext): string[] {
  const out: string[] = [];
  for (const [section, list] of groupBySection(entries, order)) {
    if (out.length > 0) out.push('');
    out.push(`### ${section}`, '');
    for (const e of list) out.push(renderEntry(e, ctx));
  }
  return out;
}

export function renderRelease(release: ReleaseChanges, order: readonly string[], ctx: LinkContext): string {
  const body = renderSections(release.entries, order, ctx);
  return [renderHeading(release.version, release.date), ...(body.length > 0 ? ['', ...body] : [])].join('\n');
}
