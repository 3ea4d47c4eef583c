import { open, readFile, rm, stat } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';

export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file whose writer died between creating it and writing its pid: after this long it is stale. */
const EMPTY_GRACE_MS = 5000;

export interface LockOptions {
  /** How long to wait for the holder (0: fail at once). */
  timeoutMs?: number;
  /** The error when the lock stays held: its code and message, given the holder's pid (null if unknown). */
  held: (owner: number | null) => SlipwayError;
}

/**
 * A lock file holding the owner's pid, created with O_EXCL. A lock whose owner is gone (killed
 * with SIGKILL, power loss) is taken over, so a crash never leaves anything locked for good; a
 * file without a pid yet is another process between creating and writing it, and is left alone
 * unless it stays empty past a grace period. Returns the release function.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
      await handle.close();
      return async () => {
        const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (owner === process.pid) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = (await readFile(path, 'utf8').catch(() => '')).trim();
    const owner = Number(text);
    const known = text !== '' && Number.isInteger(owner) && owner > 0;
    const stale = known
      ? !alive(owner)
      : await stat(path).then(
          (s) => Date.now() - s.mtimeMs > EMPTY_GRACE_MS,
          () => true,
        );
    if (stale) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw options.held(known ? owner : null);
    await new Promise((r) => setTimeout(r, 50));
  }
}
