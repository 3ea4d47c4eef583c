import { copyFile, link, mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../core/errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock } from '../io/lock-file.ts';
import { exists } from '../io/optional-read.ts';

/**
 * Where a feed's files live: a local folder (the embedded default) or an S3 bucket. Paths are
 * feed-relative with forward slashes (metadata/timestamp.json, targets/stable/1.2.3/<sha>.app.tgz).
 * Every write replaces a whole file at once, so a reader sees the old bytes or the new ones.
 */
export interface FeedStore {
  readonly location: string;
  read(path: string): Promise<Buffer | null>;
  write(path: string, data: string | Uint8Array, contentType?: string): Promise<void>;
  /** Stores a local file; throws ARTIFACT_CHANGED when its size is not `length` by the time it is stored. */
  putFile(path: string, localFile: string, length: number): Promise<void>;
  copy(from: string, to: string): Promise<void>;
  remove(paths: readonly string[]): Promise<void>;
  /** Every file path under a prefix (recursive). */
  list(prefix: string): Promise<string[]>;
  /**
   * Takes the feed's change lock, waiting up to `waitMs` for another publisher (FEED_LOCKED after
   * that); returns the release. One change at a time, on one machine or many.
   */
  lock(waitMs: number): Promise<() => Promise<void>>;
}

function checkPath(path: string): void {
  if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '' || s === '.')) {
    throw new SlipwayError('BUG', `feed path "${path}" is not a plain relative path`);
  }
}

export class LocalStore implements FeedStore {
  readonly location: string;
  constructor(dir: string) {
    this.location = resolve(dir);
  }

  private abs(path: string): string {
    checkPath(path);
    return join(this.location, ...path.split('/'));
  }

  async read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(this.abs(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async write(path: string, data: string | Uint8Array): Promise<void> {
    const target = this.abs(path);
    await mkdir(dirname(target), { recursive: true });
    await writeFileAtomic(target, data);
  }

  async putFile(path: string, localFile: string, length: number): Promise<void> {
    const target = this.abs(path);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await copyFile(localFile, tmp);
    if ((await stat(tmp)).size !== length) {
      await rm(tmp, { force: true });
      throw new SlipwayError('ARTIFACT_CHANGED', `${localFile} changed while it was being published; publish again`);
    }
    await rename(tmp, target);
  }

  /** A hard link when the file system allows it (no second copy of an artifact), else a copy. */
  async copy(from: string, to: string): Promise<void> {
    const target = this.abs(to);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await link(this.abs(from), tmp).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EXDEV' && error.code !== 'EPERM' && error.code !== 'EMLINK') throw error;
      await copyFile(this.abs(from), tmp);
    });
    await rename(tmp, target);
  }

  async remove(paths: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const p of paths) {
      await rm(this.abs(p), { force: true });
      dirs.add(dirname(this.abs(p)));
    }
    // A version's folder goes with its last file.
    for (const d of dirs)
      if (d.startsWith(join(this.location, 'targets')) || d.startsWith(join(this.location, 'releases')))
        await rmdir(d).catch(() => undefined);
  }

  /** A lock file beside the feed's folders (feed serve never serves dotfiles); a dead holder's is taken over. */
  async lock(waitMs: number): Promise<() => Promise<void>> {
    // No folder, no feed: opening the session says so clearly; nothing is created here.
    if (!(await exists(this.location))) return () => Promise.resolve();
    const path = join(this.location, '.publish.lock');
    return acquireLock(path, {
      timeoutMs: waitMs,
      held: (owner) =>
        new SlipwayError(
          'FEED_LOCKED',
          `another change to the feed ${this.location} is still running (pid ${owner ?? 'unknown'}) after ${Math.round(waitMs / 1000)} s; if no slipway runs there, remove ${path}`,
        ),
    });
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.abs(prefix);
    let entries: string[];
    try {
      entries = await readdir(base, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: string[] = [];
    for (const e of entries) {
      if ((await stat(join(base, e))).isFile()) out.push(`${prefix}/${e.split(sep).join('/')}`);
    }
    return out;
  }
}

/** `s3://bucket/prefix` opens an S3 store (loaded only then); anything else is a local folder. */
export async function openStore(location: string, env: NodeJS.ProcessEnv = process.env): Promise<FeedStore> {
  if (location.startsWith('s3://')) {
    const { S3Store } = await import('./s3-store.ts');
    return S3Store.fromUrl(location, env);
  }
  return new LocalStore(location);
}
