import type { Footer, ParsedCommit, RawCommit, Reference } from './types.ts';

// Conventional Commits 1.0.0, rule 1-5: `type(scope)!: description`. The type is a noun; we
// also accept digits, `-` and `_` after the first letter, as commitlint does.
const HEADER = /^([A-Za-z][\w-]*)(?:\(([^()\r\n]*)\))?(!)?: *(\S.*)$/;
// git's own revert header: Revert "feat: something"
const GIT_REVERT = /^Revert "(.+)"$/;
const REVERTS_SHA = /This reverts commit ([0-9a-f]{7,40})\b/;
// Rule 8-9: a footer is `Token: value` or `Token #value`; tokens use `-` for spaces, except
// BREAKING CHANGE, which may contain a space.
const FOOTER = /^(BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z][\w-]*)(: | #)(.*)$/;
const ISSUE_REF = /(?:^|[\s(,])((?:[\w.-]+\/[\w.-]+)?)#(\d+)\b/g;
const CLOSING = new Set([
  'close',
  'closes',
  'closed',
  'fix',
  'fixes',
  'fixed',
  'resolve',
  'resolves',
  'resolved',
  'refs',
  'ref',
  'references',
  'see',
]);
const SHA_LIKE = /^[0-9a-f]{7,40}$/;

/** Splits the message body into the free text and the trailing footers (rules 8-10). */
export function splitFooters(body: string): { text: string; footers: Footer[] } {
  if (body === '') return { text: '', footers: [] };
  const lines = body.split('\n');
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    // A footer block starts a paragraph: at the top of the body or after a blank line.
    if ((i === 0 || lines[i - 1]!.trim() === '') && FOOTER.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  if (start === -1) return { text: body.trimEnd(), footers: [] };
  const footers: Footer[] = [];
  let current: Footer | null = null;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const match = FOOTER.exec(line);
    if (match) {
      // `Closes #77`: the "#" is part of what the footer refers to.
      current = { token: match[1]!, value: match[2] === ' #' ? `#${match[3]!}` : match[3]! };
      footers.push(current);
    } else if (current) {
      // A footer's value may span lines and paragraphs until the next token (rule 10).
      current.value += `\n${line}`;
    }
  }
  for (const footer of footers) footer.value = footer.value.trimEnd();
  return { text: lines.slice(0, start).join('\n').trimEnd(), footers };
}

function collectReferences(subject: string, footers: readonly Footer[]): Reference[] {
  const refs: Reference[] = [];
  const seen = new Set<string>();
  const add = (text: string, action: string | null): void => {
    for (const m of text.matchAll(ISSUE_REF)) {
      const repository = m[1] === '' ? null : m[1]!;
      const key = `${repository ?? ''}#${m[2]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      refs.push({ repository, issue: m[2]!, action });
    }
  };
  add(subject, null);
  for (const f of footers) {
    const token = f.token.toLowerCase();
    if (CLOSING.has(token)) add(` ${f.value}`, token);
  }
  return refs;
}

/** Reads one commit the Conventional Commits way. Never throws: anything else is "not conventional". */
export function parseCommit(raw: RawCommit): ParsedCommit {
  const header = raw.subject;
  const { text, footers } = raw.body === '' ? { text: '', footers: [] } : splitFooters(raw.body);
  let type: string | null = null;
  let scope: string | null = null;
  let subject = header;
  let breaking = false;
  let reverts: string | null = null;

  const gitRevert = GIT_REVERT.exec(header);
  const match = gitRevert ? null : HEADER.exec(header);
  if (gitRevert) {
    type = 'revert';
    subject = gitRevert[1]!;
  } else if (match) {
    type = match[1]!.toLowerCase();
    scope = match[2]?.trim() || null;
    breaking = match[3] === '!';
    subject = match[4]!.trim();
    // `BREAKING(config): ...` is the server panel strategy's spelling of a breaking change.
    if (type === 'breaking' || type === 'breaking-change') breaking = true;
  }

  const breakingNotes: string[] = [];
  const deprecations: string[] = [];
  let releaseAs: string | null = null;
  for (const f of footers) {
    if (f.token === 'BREAKING CHANGE' || f.token === 'BREAKING-CHANGE') {
      breaking = true;
      if (f.value.trim() !== '') breakingNotes.push(f.value.trim());
      continue;
    }
    const token = f.token.toLowerCase();
    if (token === 'release-as') releaseAs = f.value.trim();
    else if (token === 'deprecated' && f.value.trim() !== '') deprecations.push(f.value.trim());
    else if (
      type === 'revert' &&
      reverts === null &&
      (token === 'refs' || token === 'reverts') &&
      SHA_LIKE.test(f.value.trim())
    ) {
      reverts = f.value.trim();
    }
  }
  if (type === 'revert' && reverts === null) {
    const m = REVERTS_SHA.exec(raw.body);
    if (m) reverts = m[1]!;
  }

  return {
    sha: raw.sha,
    shortSha: raw.sha.slice(0, 7),
    time: raw.time,
    merge: raw.parents.length > 1,
    conventional: type !== null,
    type,
    scope,
    subject,
    header,
    body: text,
    breaking,
    breakingNotes,
    deprecations,
    footers,
    references: collectReferences(subject, footers),
    releaseAs,
    reverts,
  };
}
