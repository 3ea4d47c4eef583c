import { stat } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';
import { runGit } from './run.ts';

export interface RepositoryInfo {
  root: string;
  shallow: boolean;
  /** HEAD commit, or null in a repository with no commits yet. */
  head: { sha: string; time: number } | null;
  /** The branch HEAD is on, or null when detached. */
  branch: string | null;
}

/** Finds the repository that holds `cwd` and what HEAD is. */
export async function openRepository(cwd: string): Promise<RepositoryInfo> {
  const kind = await stat(cwd).then(
    (st) => (st.isDirectory() ? 'folder' : 'file'),
    () => 'missing',
  );
  if (kind !== 'folder')
    throw new SlipwayError(
      'USAGE',
      `${cwd} ${kind === 'missing' ? 'does not exist' : 'is not a folder'}; pass the repository's folder with --cwd <dir> (or -C)`,
    );
  let top;
  try {
    top = await runGit(cwd, ['rev-parse', '--show-toplevel', '--is-shallow-repository']);
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'GIT_FAILED') {
      throw new SlipwayError(
        'NOT_A_REPOSITORY',
        `${cwd} is not inside a git repository; run Slipway in your project's folder or pass --cwd <dir>`,
        { cause: error },
      );
    }
    throw error;
  }
  const [root, shallow] = top.stdout.trim().split('\n');
  const [head, branch] = await Promise.all([
    runGit(root!, ['log', '-1', '--format=%H %ct', 'HEAD', '--'], { okStatuses: [0, 128] }),
    runGit(root!, ['symbolic-ref', '-q', '--short', 'HEAD'], { okStatuses: [0, 1, 128] }),
  ]);
  let headInfo: RepositoryInfo['head'] = null;
  if (head.status === 0 && head.stdout.trim() !== '') {
    const [sha, time] = head.stdout.trim().split(' ');
    headInfo = { sha: sha!, time: Number(time) };
  }
  return {
    root: root!,
    shallow: shallow === 'true',
    head: headInfo,
    branch: branch.status === 0 ? branch.stdout.trim() : null,
  };
}

/** Commands that read history refuse a shallow clone rather than miss the last release. */
export function requireFullHistory(repo: RepositoryInfo): void {
  if (repo.shallow) {
    throw new SlipwayError(
      'SHALLOW_CLONE',
      'this is a shallow clone, so the last release tag and the commits since it may be missing; fetch the full history with `git fetch --unshallow --tags` (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    );
  }
}

export async function isAncestor(root: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await runGit(root, ['merge-base', '--is-ancestor', ancestor, descendant], { okStatuses: [0, 1] });
  return r.status === 0;
}

/** The shas in `exclude..include`, without messages: cheap. */
export async function listShas(root: string, include: string, exclude: string): Promise<Set<string>> {
  const r = await runGit(root, ['rev-list', include, `^${exclude}`, '--']);
  return new Set(r.stdout.split('\n').filter((s) => s !== ''));
}

/** The subject line of a commit. */
export async function commitSubject(root: string, commit: string): Promise<string> {
  return (await runGit(root, ['log', '-1', '--format=%s', commit, '--'])).stdout.trim();
}
