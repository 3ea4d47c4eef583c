import { SlipwayError } from '../core/errors.ts';
import { runGit } from './run.ts';

/**
 * The git calls a release makes: what changed in the working tree, the release commit, the
 * annotated tag, the push. Argument arrays only; nothing here reads the clock.
 */

/** Tracked files with changes (staged or not); untracked files do not count. */
export async function changedTrackedFiles(root: string): Promise<string[]> {
  const r = await runGit(root, ['status', '--porcelain=v1', '-z', '--untracked-files=no']);
  const out: string[] = [];
  const parts = r.stdout.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    out.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return out;
}

/** The files a commit range changed, e.g. between a beta's commit and a stable's. */
export async function filesChanged(root: string, from: string, to: string): Promise<string[]> {
  const r = await runGit(root, ['diff', '--name-only', '-z', from, to, '--']);
  return r.stdout.split('\0').filter((p) => p !== '');
}

/** `git diff --stat` between two commits, for a reviewer. */
export async function diffStat(root: string, from: string, to: string): Promise<string> {
  const r = await runGit(root, ['diff', '--stat=100', from, to, '--']);
  return r.stdout.trimEnd();
}

/** Stages exactly these paths and commits them; returns the new commit's sha. */
export async function commitPaths(root: string, paths: readonly string[], message: string): Promise<string> {
  await runGit(root, ['add', '--', ...paths]);
  await runGit(root, ['commit', '-q', '-m', message, '--', ...paths]);
  return (await runGit(root, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** Takes paths out of the index again (back to HEAD's version there), leaving the files alone. */
export async function unstage(root: string, paths: readonly string[]): Promise<void> {
  await runGit(root, ['reset', '-q', '--', ...paths]);
}

/** Deletes a local tag (one made by a release that is being undone before it was pushed). */
export async function deleteTag(root: string, name: string): Promise<void> {
  await runGit(root, ['tag', '-d', name]);
}

/** Whether git is set up to sign tags (tag.gpgSign). */
export async function signsTags(root: string): Promise<boolean> {
  const r = await runGit(root, ['config', '--bool', 'tag.gpgSign'], { okStatuses: [0, 1] });
  return r.status === 0 && r.stdout.trim() === 'true';
}

/** An annotated tag (signed with -s) at a commit. */
export async function createTag(
  root: string,
  name: string,
  commit: string,
  message: string,
  sign: boolean,
): Promise<void> {
  await runGit(root, ['tag', sign ? '-s' : '-a', '-m', message, name, commit]);
}

/** The commit a tag points at, or null when there is no such tag. */
export async function tagCommit(root: string, name: string): Promise<string | null> {
  const r = await runGit(root, ['rev-parse', '--verify', '-q', `refs/tags/${name}^{commit}`], {
    okStatuses: [0, 1, 128],
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Moves the branch back to `commit`, keeping untracked files (a release commit undone before its tag). */
export async function resetTo(root: string, commit: string): Promise<void> {
  await runGit(root, ['reset', '-q', '--keep', commit]);
}

/**
 * Pushes the branch and the tag in one atomic push: the remote takes both or neither. A rejected
 * push (not a fast-forward, a protected branch) raises PUSH_REJECTED with git's own words.
 */
export async function pushRelease(root: string, remote: string, branch: string | null, tag: string): Promise<void> {
  const refs = [...(branch === null ? [] : [`HEAD:refs/heads/${branch}`]), `refs/tags/${tag}:refs/tags/${tag}`];
  const r = await runGit(root, ['push', '--atomic', '--porcelain', remote, ...refs], { okStatuses: [0, 1, 128] });
  if (r.status === 0) return;
  const said = [
    ...r.stdout.split('\n').filter((l) => l.startsWith('!')),
    ...r.stderr.split('\n').filter((l) => /^(error|fatal|remote|hint):/.test(l) && !l.startsWith('hint:')),
  ]
    .map((l) => l.replace(/\t/g, ' ').trim())
    .filter((l) => l !== '');
  throw new SlipwayError(
    'PUSH_REJECTED',
    `${remote} refused the push of ${refs.join(' ')} (git exit ${r.status}): ${said.slice(0, 4).join('; ') || 'no reason given'}`,
  );
}

/**
 * What a remote has at these refs (ref → sha; absent refs are left out). Throws REMOTE_UNREACHABLE
 * with git's words when the remote cannot be read.
 */
export async function lsRemote(root: string, remote: string, refs: readonly string[]): Promise<Map<string, string>> {
  const r = await runGit(root, ['ls-remote', remote, ...refs], { okStatuses: [0, 1, 2, 128] });
  if (r.status !== 0 && r.status !== 2)
    throw new SlipwayError(
      'REMOTE_UNREACHABLE',
      `cannot read the remote "${remote}" (git exit ${r.status}): ${
        r.stderr
          .trim()
          .split('\n')
          .find((l) => l.startsWith('fatal:') || l.startsWith('error:')) ??
        r.stderr.trim().split('\n')[0] ??
        ''
      }`,
    );
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref) out.set(ref, sha);
  }
  return out;
}
