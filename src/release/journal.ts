import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import type { ReleaseJournal } from './release.ts';

/** Where a release journals its steps (a small module: reading it must not load the whole release). */
export const JOURNAL = join('.slipway', 'release.json');

/** The journal of the last release in this repository, or null when there is none. */
export async function readJournal(root: string): Promise<ReleaseJournal | null> {
  try {
    const data = JSON.parse(await readFile(join(root, JOURNAL), 'utf8')) as Partial<ReleaseJournal> | null;
    const ok =
      data !== null &&
      typeof data === 'object' &&
      data.schema === 1 &&
      typeof data.version === 'string' &&
      typeof data.base === 'string' &&
      typeof data.channel === 'string' &&
      data.steps !== null &&
      typeof data.steps === 'object' &&
      Array.isArray(data.undo) &&
      Array.isArray(data.artifacts);
    if (!ok) throw new Error('it is not a journal Slipway wrote (damaged, or edited by hand)');
    return data as ReleaseJournal;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SlipwayError(
      'RELEASE_UNFINISHED',
      `${JOURNAL} cannot be read (${(error as Error).message}); if no release is under way, delete it (rm ${JOURNAL}) and check git status and git tag for anything a release left`,
      {
        cause: error,
      },
    );
  }
}
