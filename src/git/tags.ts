import { runGit } from './run.ts';

export interface GitTag {
  name: string;
  /** The commit the tag points at (peeled through annotated tags). */
  commit: string;
  /** Tagger date for annotated tags, committer date otherwise, as YYYY-MM-DD in the tagger's zone. */
  date: string;
}

/** Every tag in the repository, with no reachability walk: one cheap call however long the history. */
export async function listTags(root: string): Promise<GitTag[]> {
  const r = await runGit(root, [
    'for-each-ref',
    '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:short)',
    'refs/tags',
  ]);
  const tags: GitTag[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const [name, object, peeled, date] = line.split('\0');
    tags.push({ name: name!, commit: peeled !== '' && peeled !== undefined ? peeled : object!, date: date ?? '' });
  }
  return tags;
}
