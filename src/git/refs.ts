import { runGit } from './run.ts';

/** The full sha of a commit-ish (`HEAD`, a tag, a short sha), or null when it names no commit. */
export async function resolveCommit(root: string, rev: string): Promise<string | null> {
  const r = await runGit(root, ['rev-parse', '--verify', '-q', `${rev}^{commit}`], { okStatuses: [0, 1, 128] });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Whether a ref (refs/heads/main, refs/remotes/origin/main) exists. */
export async function refExists(root: string, ref: string): Promise<boolean> {
  const r = await runGit(root, ['rev-parse', '--verify', '-q', ref], { okStatuses: [0, 1, 128] });
  return r.status === 0;
}

/** Local and remote-tracking branches that contain a commit, by short name (origin/x → x). */
export async function branchesContaining(root: string, commit: string): Promise<string[]> {
  const r = await runGit(root, [
    'for-each-ref',
    '--contains',
    commit,
    '--format=%(refname)',
    'refs/heads',
    'refs/remotes',
  ]);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((ref) => ref.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\/[^/]+\//, ''));
}

/** Tags whose commit is an ancestor of (or is) `commit`: one call, however many tags. */
export async function tagsMergedInto(root: string, commit: string): Promise<string[]> {
  const r = await runGit(root, ['tag', '--merged', commit, '--format=%(refname:strip=2)']);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** The URL of a remote, or null when there is no such remote. */
export async function remoteUrl(root: string, name: string): Promise<string | null> {
  const r = await runGit(root, ['remote', 'get-url', name], { okStatuses: [0, 2, 128] });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Tags whose commit contains `commit` (the releases that shipped it): one call. */
export async function tagsContaining(root: string, commit: string): Promise<string[]> {
  const r = await runGit(root, ['tag', '--contains', commit, '--format=%(refname:strip=2)'], { okStatuses: [0, 129] });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [];
}
