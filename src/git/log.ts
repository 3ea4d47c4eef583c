import type { RawCommit } from '../core/commit/types.ts';
import { streamGitBytes } from './run.ts';

export interface ReadCommitsOptions {
  /** Revisions and exclusions, e.g. ["HEAD", "^v1.2.0"]. */
  revisions: readonly string[];
  /** Children before parents, as a changelog needs to attribute commits to releases. */
  topoOrder?: boolean;
}

const SEP = 0x1f;
const FORMAT = '%H%x1f%P%x1f%ct%x1f%s%x1f%b';

/** One NUL-free record: %H %P %ct %s, then the body (which may itself hold the separator). */
function parseRecord(bytes: Buffer): RawCommit | null {
  const fields: number[] = [];
  let at = 0;
  for (let i = 0; i < 4; i++) {
    const end = bytes.indexOf(SEP, at);
    if (end === -1) return null; // not a record written with our format
    fields.push(end);
    at = end + 1;
  }
  const [h, p, t, s] = fields as [number, number, number, number];
  const parents = bytes.toString('latin1', h + 1, p);
  let bodyEnd = bytes.length;
  while (bodyEnd > s + 1 && (bytes[bodyEnd - 1] === 0x0a || bytes[bodyEnd - 1] === 0x20)) bodyEnd--;
  return {
    sha: bytes.toString('latin1', 0, h),
    parents: parents === '' ? [] : parents.split(' '),
    time: Number(bytes.toString('latin1', p + 1, t)),
    subject: bytes.toString('utf8', t + 1, s),
    body: bodyEnd > s + 1 ? bytes.toString('utf8', s + 1, bodyEnd) : '',
  };
}

/**
 * Streams commits, newest first, one call per commit: memory stays bounded however long the
 * history is. Records are NUL-separated (`-z`), which git guarantees never occurs in a message,
 * and are cut from the raw bytes: every field is decoded on its own, so whatever a caller keeps
 * (a subject, say) holds only its own few bytes, never a chunk of git's output.
 */
export async function readCommits(
  cwd: string,
  options: ReadCommitsOptions,
  onCommit: (commit: RawCommit) => void,
): Promise<number> {
  const args = ['log', '-z', `--format=${FORMAT}`, '--no-decorate'];
  if (options.topoOrder) args.push('--topo-order');
  args.push(...options.revisions, '--');

  let count = 0;
  const emit = (bytes: Buffer): void => {
    const commit = parseRecord(bytes);
    if (commit === null) return;
    count++;
    onCommit(commit);
  };
  const partial: Buffer[] = [];
  await streamGitBytes(cwd, args, (chunk) => {
    let from = 0;
    for (;;) {
      const nul = chunk.indexOf(0, from);
      if (nul === -1) break;
      if (partial.length > 0) {
        partial.push(chunk.subarray(from, nul));
        emit(Buffer.concat(partial));
        partial.length = 0;
      } else emit(chunk.subarray(from, nul));
      from = nul + 1;
    }
    if (from < chunk.length) partial.push(Buffer.from(chunk.subarray(from)));
  });
  if (partial.length > 0) emit(Buffer.concat(partial));
  return count;
}
