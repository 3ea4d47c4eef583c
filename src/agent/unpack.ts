import { mkdir, rm } from 'node:fs/promises';
import type * as Tar from 'tar';
import { SlipwayError } from '../core/errors.ts';
import { entryProblem, inspectArchive, type ArchiveLimits } from '../io/archive.ts';

export { entryProblem, resolveThroughLinks, type UnsafeEntry } from '../io/archive.ts';

/**
 * Unpacks a .tar.gz release into `dest` (which must not exist). Every entry is checked first: no
 * absolute paths, no "..", no links pointing out of the folder, no devices or FIFOs. One bad entry
 * refuses the whole archive before anything is written.
 */
export type UnpackLimits = ArchiveLimits;

/** Without sizes from the manifest: 1 GiB plus 64 times the archive, and 100,000 entries. */
export const defaultLimits = (archiveLength: number): UnpackLimits => ({
  maxBytes: 1024 ** 3 + 64 * archiveLength,
  maxEntries: 100_000,
});

export async function unpackRelease(
  archive: string,
  dest: string,
  limits: UnpackLimits = { maxBytes: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER },
): Promise<{ files: number }> {
  // tar is loaded when an archive is first read, not with the agent.
  const tar = await import('tar');
  if (!/\.(tar\.gz|tgz)$/.test(archive))
    throw new SlipwayError(
      'ARTIFACT_FORMAT',
      `${archive} is not a .tar.gz; releases are shipped as .tar.gz archives with slipway.app.json at the top`,
    );
  let report;
  try {
    report = await inspectArchive(archive, limits);
  } catch (error) {
    throw new SlipwayError('ARTIFACT_FORMAT', `${archive} is not a readable .tar.gz: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (report.overLimit !== null) throw new SlipwayError('UNSAFE_ARCHIVE', `refusing ${archive}: ${report.overLimit}`);
  const bad = report.unsafe;
  if (bad.length > 0) {
    throw new SlipwayError(
      'UNSAFE_ARCHIVE',
      `refusing ${archive}: ${bad
        .slice(0, 5)
        .map((b) => `${b.path} (${b.why})`)
        .join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`,
    );
  }
  const files = report.files;
  await mkdir(dest, { recursive: false });
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      noMtime: false,
      // setuid, setgid and sticky bits and owners from the archive are never kept.
      onReadEntry: (entry) => {
        if (entry.mode !== undefined) entry.mode &= 0o777;
      },
      filter: (path, entry) =>
        entryProblem(path, (entry as Tar.ReadEntry).type, (entry as Tar.ReadEntry).linkpath) === null,
    });
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw new SlipwayError('ARTIFACT_FORMAT', `unpacking ${archive} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { files };
}
