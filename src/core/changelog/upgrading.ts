import semver from 'semver';

/**
 * UPGRADING.md: a section per major version ("## Upgrading from v1.x to v2.0") with the breaking
 * changes numbered, each with its migration text (the BREAKING CHANGE notes), then the migration
 * steps — the server panel strategy's shape. Merged like the changelog: a section that exists
 * keeps every hand-written line and only gains the breaking changes it lacks.
 */

export interface BreakingItem {
  subject: string;
  scope: string | null;
  notes: readonly string[];
}

const PREAMBLE = [
  '# Upgrading',
  '',
  'How to move from one major version to the next. Read each section between the version you run and the one you go to.',
  '',
];

/**
 * The section a release opens, or null when it opens none: a new major (2.0.0 over 1.x; in 0.x, a
 * new minor over the 0.y line before it), prereleases of it included.
 */
export function upgradingHeading(version: string, base: string | null): string | null {
  if (base === null) return null;
  const v = semver.parse(version)!;
  const b = semver.parse(base)!;
  if (v.major > 0 && v.major > b.major && v.minor === 0 && v.patch === 0)
    return `## Upgrading from v${b.major}.x to v${v.major}.0`;
  if (v.major === 0 && b.major === 0 && v.minor > b.minor && v.patch === 0)
    return `## Upgrading from v0.${b.minor}.x to v0.${v.minor}`;
  return null;
}

/** GitHub's anchor of a heading: what the notes' migration guide link points at. */
export function headingAnchor(heading: string): string {
  return heading
    .replace(/^#+\s*/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function itemLines(n: number, item: BreakingItem): string[] {
  const title = `${item.scope ? `${item.scope}: ` : ''}${item.subject}`;
  const notes =
    item.notes.length > 0
      ? item.notes.flatMap((note) => note.split('\n').map((l, i) => (i === 0 ? `   - ${l}` : `     ${l}`)))
      : ['   - No migration note was written for this change (a `BREAKING CHANGE:` footer gives one).'];
  return [`${n}. **${title}**`, ...notes];
}

export function renderUpgradingSection(
  heading: string,
  items: readonly BreakingItem[],
  steps: readonly string[],
): string[] {
  const out = [heading, '', '### Breaking changes', ''];
  items.forEach((item, i) => out.push(...itemLines(i + 1, item), ''));
  if (steps.length > 0) {
    out.push('### Migration steps', '');
    steps.forEach((s, i) => out.push(`${i + 1}. ${s}`));
    out.push('');
  }
  return out;
}

/** The file with the release's section added or completed; `changed` false when nothing was missing. */
export function mergeUpgrading(
  existing: string | null,
  heading: string,
  items: readonly BreakingItem[],
  steps: readonly string[],
): { text: string; changed: boolean } {
  const crlf = existing?.includes('\r\n') === true;
  const lines = existing === null ? [...PREAMBLE] : existing.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  let changed = false;
  if (start === -1) {
    // New sections go on top, below the title and introduction.
    let at = lines.findIndex((l) => /^## /.test(l));
    if (at === -1) at = lines.length;
    const section = renderUpgradingSection(heading, items, steps);
    const before = lines.slice(0, at);
    while (before.length > 0 && before[before.length - 1]!.trim() === '') before.pop();
    lines.splice(0, at, ...before, '', ...section);
    changed = true;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end === -1) end = lines.length;
    const body = lines.slice(start + 1, end);
    const missing = items.filter((item) => !body.some((l) => l.includes(item.subject)));
    if (missing.length > 0) {
      const list = body.findIndex((l) => /^###\s+Breaking changes/i.test(l));
      let count = body.filter((l) => /^\d+\.\s/.test(l)).length;
      if (list === -1) {
        const add = ['### Breaking changes', ''];
        for (const m of missing) add.push(...itemLines(++count, m), '');
        body.unshift('', ...add);
      } else {
        // After the list's last item and its continuation lines.
        let at = list + 1;
        for (let i = list + 1; i < body.length && !/^###\s/.test(body[i]!); i++) if (body[i]!.trim() !== '') at = i + 1;
        count = body.slice(list + 1, at).filter((l) => /^\d+\.\s/.test(l)).length;
        const add: string[] = [];
        for (const m of missing) add.push('', ...itemLines(++count, m));
        body.splice(at, 0, ...add);
      }
      lines.splice(start + 1, end - start - 1, ...body);
      changed = true;
    }
    // The configured migration steps, when the section has none yet.
    let stop = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (stop === -1) stop = lines.length;
    if (steps.length > 0 && !lines.slice(start, stop).some((l) => /^###\s+Migration steps/i.test(l))) {
      let at = stop;
      while (at > start + 1 && lines[at - 1]!.trim() === '') at--;
      lines.splice(at, 0, '', '### Migration steps', '', ...steps.map((st, i) => `${i + 1}. ${st}`), '');
      changed = true;
    }
  }
  if (!changed && existing !== null) return { text: existing, changed };
  const text = `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\n+$/, '')}\n`;
  return { text: crlf ? text.replace(/\n/g, '\r\n') : text, changed };
}
