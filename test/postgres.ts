// A real PostgreSQL server for tests. SLIPWAY_TEST_PG_URL points at one when CI started it;
// otherwise a private cluster is made in a temp folder and started on a free loopback port,
// and stopped when the test file ends. Needs Debian's postgresql package (`.ci/run` installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// runuser lives in /usr/sbin, which a plain PATH may leave out.
const RUNUSER = existsSync('/usr/sbin/runuser') ? '/usr/sbin/runuser' : 'runuser';
import { freePort } from '../src/io/free-port.ts';

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  throw new Error('PostgreSQL server binaries not found: apt-get install -y postgresql (or set SLIPWAY_TEST_PG_URL)');
}

let started: Promise<string> | null = null;

/** Runs a command as the postgres user when we are root (initdb refuses to run as root). */
function asPostgres(command: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync(RUNUSER, ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

async function startCluster(): Promise<string> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  asPostgres(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  // At process exit, not in an after() hook: a hook registered while a test runs belongs to that test.
  process.once('exit', () => {
    const stop = [join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
    if (process.getuid?.() === 0) spawnSync(RUNUSER, ['-u', 'postgres', '--', ...stop]);
    else spawnSync(stop[0]!, stop.slice(1));
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** The server's URL; the same server for the whole test file. */
export function postgresUrl(): Promise<string> {
  const fromEnv = process.env.SLIPWAY_TEST_PG_URL;
  if (fromEnv) return Promise.resolve(fromEnv);
  started ??= startCluster();
  return started;
}

let counter = 0;

/** A fresh, empty database on the test server. */
export async function freshDatabase(): Promise<string> {
  const url = await postgresUrl();
  const name = `slipway_${process.pid}_${Date.now()}_${counter++}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
