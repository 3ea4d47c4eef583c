import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import * as tar from 'tar';
import { SlipwayError } from '../core/errors.ts';

export interface UnsafeEntry {
  path: string;
  why: string;
}

/** Why an archive entry may not be unpacked, or null when it may. */
export function entryProblem(path: string, type: string, linkpath: string | undefined): string | null {
  const p = path.replace(/\\/g, '/');
  if (p.startsWith('/') || isAbsolute(p) || /^[A-Za-z]:/.test(p)) return 'absolute path';
  const norm = posix.normalize(p);
  if (norm === '..' || norm.startsWith('../') || p.split('/').includes('..')) return 'path leaves the release folder';
  if (type === 'SymbolicLink' || type === 'Link') {
    const target = (linkpath ?? '').replace(/\\/g, '/');
    if (target === '' || target.startsWith('/') || isAbsolute(target)) return `link to an absolute path (${target})`;
    const resolved = posix.normalize(type === 'Link' ? target : posix.join(posix.dirname(norm), target));
    if (resolved === '..' || resolved.startsWith('../')) return `link pointing out of the release folder (${target})`;
    return null;
  }
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile' || type === 'Directory') return null;
  return `${type} entries are not allowed`;
}

/**
 * Unpacks a .tar.gz release into `dest` (which must not exist). Every entry is checked first: no
 * absolute paths, no "..", no links pointing out of the folder, no devices or FIFOs. One bad entry
 * refuses the whole archive before anything is written.
 */
export async function unpackRelease(archive: string, dest: string): Promise<{ files: number }> {
  if (!/\.(tar\.gz|tgz)$/.test(archive))
    throw new SlipwayError(
      'ARTIFACT_FORMAT',
      `${archive} is not a .tar.gz; releases are shipped as .tar.gz archives with slipway.app.json at the top`,
    );
  const bad: UnsafeEntry[] = [];
  let files = 0;
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (e) => {
        const why = entryProblem(e.path, e.type, e.linkpath);
        if (why) bad.push({ path: e.path, why });
        if (e.type === 'File') files++;
      },
    });
  } catch (error) {
    throw new SlipwayError('ARTIFACT_FORMAT', `${archive} is not a readable .tar.gz: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (bad.length > 0) {
    throw new SlipwayError(
      'UNSAFE_ARCHIVE',
      `refusing ${archive}: ${bad
        .slice(0, 5)
        .map((b) => `${b.path} (${b.why})`)
        .join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`,
    );
  }
  await mkdir(dest, { recursive: false });
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      noMtime: false,
      filter: (path, entry) =>
        entryProblem(path, (entry as tar.ReadEntry).type, (entry as tar.ReadEntry).linkpath) === null,
    });
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw new SlipwayError('ARTIFACT_FORMAT', `unpacking ${archive} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { files };
}
