import { open, readFile, rm } from 'node:fs/promises';
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

/**
 * A lock file holding the owner's pid, created with O_EXCL. A lock whose owner is gone (killed
 * with SIGKILL, power loss) is taken over, so a crash never leaves the instance locked forever.
 */
export async function acquireLock(path: string, options: { what: string; timeoutMs?: number }): Promise<() => Promise<void>> {
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
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!alive(owner)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline || owner === process.pid) {
      throw new SlipwayError('LOCKED', `${options.what} is running already (pid ${owner} holds ${path}); wait for it to finish`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
