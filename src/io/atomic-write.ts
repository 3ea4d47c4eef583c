import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export { exists } from './optional-read.ts';

/** Writes and fsyncs a temp file beside `path`, with the mode asked for or that of the file it replaces. */
async function stage(path: string, data: string | Uint8Array, wanted?: number): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode =
    wanted ??
    (await stat(path).then(
      (s) => s.mode & 0o777,
      () => 0o644,
    ));
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  return tmp;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces files atomically: each is written to a temp file in its own folder and fsynced;
 * only when every one is staged are they renamed over their targets and the folders fsynced.
 * Readers see the old bytes or the new ones, never half; a failure while staging leaves every
 * file as it was.
 */
export async function writeFilesAtomic(
  files: readonly { path: string; data: string | Uint8Array; mode?: number }[],
): Promise<void> {
  const staged: { tmp: string; path: string }[] = [];
  try {
    for (const f of files) staged.push({ tmp: await stage(f.path, f.data, f.mode), path: f.path });
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw error;
  }
  for (const s of staged) await rename(s.tmp, s.path);
  for (const dir of new Set(staged.map((s) => dirname(s.path)))) await syncDirectory(dir);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  await writeFilesAtomic([{ path, data, ...(mode === undefined ? {} : { mode }) }]);
}
