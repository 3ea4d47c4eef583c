import { copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { exists } from '../io/optional-read.ts';
import { isPostgresUrl } from '../migrate/runner.ts';
import type { InstanceContext } from './context.ts';

/** What an update saved before it changed anything, so that the way back never needs the new release's files. */
export interface Snapshot {
  dir: string;
  /** config.json byte for byte (base64), or null when there was none. */
  config: string | null;
  /** A consistent copy of the SQLite database, or null (PostgreSQL, or no database yet). */
  db: string | null;
}

/** Saves config.json and (SQLite) a consistent copy of the database, with the app stopped. */
export async function takeSnapshot(ctx: InstanceContext, name: string): Promise<Snapshot> {
  const dir = join(ctx.layout.state, 'snapshots', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const config = (await exists(ctx.layout.appConfig))
    ? (await readFile(ctx.layout.appConfig)).toString('base64')
    : null;
  let db: string | null = null;
  const database = ctx.database();
  if (!isPostgresUrl(database) && (await exists(database))) {
    db = join(dir, 'app.db');
    const { DatabaseSync } = await import('node:sqlite');
    const conn = new DatabaseSync(database);
    try {
      // VACUUM INTO writes a transactionally consistent copy (the WAL folded in).
      conn.exec(`VACUUM INTO '${db.replace(/'/g, "''")}'`);
    } finally {
      conn.close();
    }
  }
  return { dir, config, db };
}

/** Puts config.json and the SQLite database back exactly as the snapshot has them. Idempotent. */
export async function restoreSnapshot(ctx: InstanceContext, snapshot: Snapshot): Promise<void> {
  if (snapshot.config === null) await rm(ctx.layout.appConfig, { force: true });
  else await writeFileAtomic(ctx.layout.appConfig, Buffer.from(snapshot.config, 'base64'), 0o600);
  const database = ctx.database();
  if (snapshot.db !== null && (await exists(snapshot.db))) {
    const tmp = `${database}.restore`;
    await copyFile(snapshot.db, tmp);
    await rm(`${database}-wal`, { force: true });
    await rm(`${database}-shm`, { force: true });
    await rename(tmp, database);
  }
}

export async function dropSnapshot(snapshot: Snapshot | undefined): Promise<void> {
  if (snapshot) await rm(snapshot.dir, { recursive: true, force: true });
}
