import type { RawCommit } from '../core/commit/types.ts';
import { streamGit } from './run.ts';

export interface ReadCommitsOptions {
  /** Revisions and exclusions, e.g. ["HEAD", "^v1.2.0"]. */
  revisions: readonly string[];
  /** Fill `tags` from git's decorations (only refs/tags/). */
  withTags?: boolean;
  /** Children before parents, as a changelog needs to attribute commits to releases. */
  topoOrder?: boolean;
}

const SEP = '\u001f';

/**
 * Streams commits, newest first, one call per commit: memory stays bounded however long the
 * history is. Records are NUL-separated (`-z`), which git guarantees never occurs in a message.
 */
export async function readCommits(cwd: string, options: ReadCommitsOptions, onCommit: (commit: RawCommit) => void): Promise<number> {
  const withTags = options.withTags === true;
  const format = withTags ? '%H%x1f%P%x1f%ct%x1f%D%x1f%s%x1f%b' : '%H%x1f%P%x1f%ct%x1f%s%x1f%b';
  const args = ['log', '-z', `--format=${format}`, '--no-decorate'];
  if (withTags) args.splice(3, 1, '--decorate-refs=refs/tags/', '--decorate=full');
  if (options.topoOrder) args.push('--topo-order');
  args.push(...options.revisions, '--');

  let pending = '';
  let count = 0;
  const emit = (record: string): void => {
    // %H %P %ct [%D] %s, then the body, which may itself hold the separator.
    const fields = withTags ? 5 : 4;
    let start = 0;
    const parts: string[] = [];
    for (let i = 0; i < fields; i++) {
      const end = record.indexOf(SEP, start);
      if (end === -1) return; // not a record git wrote with our format
      parts.push(record.slice(start, end));
      start = end + 1;
    }
    const body = record.slice(start);
    const parentText = parts[1]!;
    const commit: RawCommit = {
      sha: parts[0]!,
      parents: parentText === '' ? [] : parentText.split(' '),
      time: Number(parts[2]),
      subject: withTags ? parts[4]! : parts[3]!,
      body: body.endsWith('\n') ? body.trimEnd() : body,
    };
    if (withTags) commit.tags = parseDecorations(parts[3]!);
    count++;
    onCommit(commit);
  };
  await streamGit(cwd, args, (text) => {
    pending += text;
    let from = 0;
    for (;;) {
      const nul = pending.indexOf('\0', from);
      if (nul === -1) break;
      emit(pending.slice(from, nul));
      from = nul + 1;
    }
    pending = from === 0 ? pending : pending.slice(from);
  });
  if (pending.trim() !== '') emit(pending.replace(/\n$/, ''));
  return count;
}

/** "tag: refs/tags/v1.0.0, tag: refs/tags/v1.0.0-beta.1" -> ["v1.0.0", "v1.0.0-beta.1"] */
export function parseDecorations(text: string): string[] {
  if (text === '') return [];
  const tags: string[] = [];
  for (const part of text.split(', ')) {
    if (part.startsWith('tag: refs/tags/')) tags.push(part.slice('tag: refs/tags/'.length));
  }
  return tags;
}
