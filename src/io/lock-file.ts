import { readFileSync } from 'node:fs';
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

/**
 * When the process with this pid started (clock ticks since boot, field 22 of /proc/<pid>/stat;
 * an exec keeps it), or null where it cannot be read. With the pid it names one process for good:
 * a pid the kernel has given to another process since has another start time.
 */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** What a lock file says: "<pid> <start time>" (or only the pid, as older ones wrote). */
function ownerOf(text: string): { pid: number; start: string | null } | null {
  const [pid, start] = text.trim().split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, start: start ?? null } : null;
}

/** Whether the lock's owner still runs: its pid is alive and (when recorded) started when it did. */
function ownerRuns(owner: { pid: number; start: string | null }): boolean {
  if (!alive(owner.pid)) return false;
  if (owner.start === null) return true;
  const now = startTimeOf(owner.pid);
  return now === null || now === owner.start;
}

/** The pid holding a lock file, when its owner still runs (not a pid reused by another process since); else null. */
export function lockHolder(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const owner = ownerOf(text);
  return owner && ownerRuns(owner) ? owner.pid : null;
}

/** A lock file whose writer died between creating it and writing its pid: after this long it is stale. */
const EMPTY_GRACE_MS = 5000;

/** Locks this process image holds: a lock with this pid that is not among them was held before an exec. */
const heldHere = new Set<string>();

export interface LockOptions {
  /** How long to wait for the holder (0: fail at once). */
  timeoutMs?: number;
  /** The error when the lock stays held: its code and message, given the holder's pid (null if unknown). */
  held: (owner: number | null) => SlipwayError;
  /**
   * A lock already held by this very pid is this process's from before it re-executed itself
   * (execve keeps the pid): taken over. Only for a lock taken once per process image.
   */
  heldAcrossExec?: boolean;
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
      await handle.writeFile(`${[process.pid, startTimeOf(process.pid)].filter((x) => x !== null).join(' ')}\n`);
      await handle.sync();
      await handle.close();
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        const owner = ownerOf(await readFile(path, 'utf8').catch(() => ''));
        if (owner?.pid === process.pid) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await look(path);
    if (seen === null) continue; // released meanwhile: try again at once
    const owner = ownerOf(seen.text);
    const mine = owner !== null && options.heldAcrossExec === true && owner.pid === process.pid && !heldHere.has(path);
    const stale = mine || (owner ? !ownerRuns(owner) : Date.now() - seen.mtimeMs > EMPTY_GRACE_MS);
    if (stale) {
      await takeOver(path, seen);
      continue;
    }
    if (Date.now() >= deadline) throw options.held(owner?.pid ?? null);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Seen {
  text: string;
  ino: number;
  mtimeMs: number;
}

async function look(path: string): Promise<Seen | null> {
  try {
    const [text, s] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text: text.trim(), ino: s.ino, mtimeMs: s.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Removes a stale lock, under a short-lived guard file: two waiters that saw the same dead owner
 * must not both remove "the" lock, or the second would remove the first one's fresh lock. Under
 * the guard, the lock is removed only if it is still the very file that was judged stale (same
 * inode, bytes and mtime). A guard left by a waiter that died mid-takeover is stale after the
 * grace period.
 */
async function takeOver(path: string, seen: Seen): Promise<void> {
  const guard = `${path}.takeover`;
  let handle;
  try {
    handle = await open(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const g = await stat(guard).catch(() => null);
    if (g && Date.now() - g.mtimeMs > EMPTY_GRACE_MS) await rm(guard, { force: true });
    await new Promise((r) => setTimeout(r, 10));
    return;
  }
  try {
    const now = await look(path);
    if (now && now.ino === seen.ino && now.text === seen.text && now.mtimeMs === seen.mtimeMs)
      await rm(path, { force: true });
  } finally {
    await handle.close();
    await rm(guard, { force: true });
  }
}
