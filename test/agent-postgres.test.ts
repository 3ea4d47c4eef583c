import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import * as tar from 'tar';
import { install } from '../src/agent/install.ts';
import { Instance } from '../src/agent/instance.ts';
import { freePort, installRoot, sampleFeed } from './agent-helpers.ts';
import { freshDatabase } from './postgres.ts';

const MIGRATIONS = [
  `-- +goose Up
CREATE TABLE sites (id serial PRIMARY KEY, domain text NOT NULL);
-- +goose Down
DROP TABLE sites;
`,
  `-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION site_count() RETURNS integer AS $$
BEGIN
  RETURN (SELECT count(*) FROM sites);
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose Down
DROP FUNCTION site_count();
`,
];

/** Its Down fails: the table it drops is not the one its Up made. */
const BAD_DOWN = `-- +goose Up
CREATE TABLE plans (id serial PRIMARY KEY);
-- +goose Down
DROP TABLE no_such_table;
`;

/**
 * A release of a tiny app whose state lives in PostgreSQL: a process that waits, a health command
 * that asks the database (and, with `healthy: false`, always fails).
 */
async function pgRelease(
  dir: string,
  version: string,
  schema: number,
  options: { healthy?: boolean; migrations?: string[] } = {},
): Promise<string> {
  const src = join(dir, `src-${version}`);
  await mkdir(join(src, 'migrations'), { recursive: true });
  const files = options.migrations ?? MIGRATIONS;
  for (let i = 0; i < schema; i++) await writeFile(join(src, 'migrations', `0000${i + 1}_step.sql`), files[i]!);
  await writeFile(
    join(src, 'health.mjs'),
    `import pg from ${JSON.stringify(import.meta.resolve('pg'))};\nconst c = new pg.Client({ connectionString: process.env.SLIPWAY_DB });\nawait c.connect();\nconst r = await c.query('SELECT max(version_id) AS v FROM goose_db_version WHERE is_applied');\nawait c.end();\nprocess.exit(Number(r.rows[0].v) === ${options.healthy === false ? -1 : schema} ? 0 : 1);\n`,
  );
  await writeFile(
    join(src, 'slipway.app.json'),
    JSON.stringify({
      name: 'pg-app',
      version,
      start: { command: ['{node}', '-e', 'setInterval(() => {}, 1000)'] },
      health: {
        command: ['{node}', 'health.mjs'],
        successes: 1,
        interval: '100ms',
        timeout: options.healthy === false ? '2s' : '10s',
      },
      migrations: 'migrations',
    }),
  );
  const out = join(dir, `pg-app-${version}`, 'app-any.tar.gz');
  await mkdir(join(dir, `pg-app-${version}`));
  await tar.c({ gzip: true, file: out, cwd: src }, ['slipway.app.json', 'health.mjs', 'migrations']);
  return out;
}

async function pgInstance(): Promise<{
  inst: Instance;
  db: string;
  root: string;
  publish: (version: string, schema: number, options?: Parameters<typeof pgRelease>[3]) => Promise<unknown>;
}> {
  const feed = await sampleFeed();
  const { publishRelease } = await import('../src/release/publish-release.ts');
  const publish = async (version: string, schema: number, options?: Parameters<typeof pgRelease>[3]) =>
    publishRelease(feed.store, feed.keys, {
      version,
      channel: 'stable',
      files: [await pgRelease(feed.base, version, schema, options)],
      now: new Date(),
    });
  await publish('1.0.0', 1);
  const db = await freshDatabase();
  const root = await installRoot();
  const r = await install({
    root,
    feed: feed.url,
    channel: 'stable',
    trustedRoot: feed.rootFile,
    port: await freePort(),
    database: db,
  });
  assert.equal(r.outcome, 'updated', r.reason);
  return { inst: await Instance.open(root), db, root, publish };
}

describe('the agent with the app database on PostgreSQL', () => {
  it('a failed update goes back by the Downs of exactly the migrations its journal recorded', async () => {
    const { inst, publish } = await pgInstance();
    await publish('1.1.0', 2, { healthy: false });
    const up = await inst.update();
    assert.equal(up.outcome, 'rolled-back', up.reason);
    assert.match(up.reason ?? '', /health check failed/);
    const c = await inst.consistency();
    assert.deepEqual(c.problems, []);
    assert.equal(c.db, '1');
    const state = await inst.state();
    assert.equal(state.current, '1.0.0');
    assert.equal(state.attention, null);
    assert.match(state.rejected['1.1.0'] ?? '', /health check failed/);
  });

  it('a Down that fails leaves the instance running the version its schema matches, and doctor names the manual steps', async () => {
    const { inst, db, root, publish } = await pgInstance();
    await publish('1.1.0', 2, { healthy: false, migrations: [MIGRATIONS[0]!, BAD_DOWN] });
    const up = await inst.update();
    assert.equal(up.outcome, 'needs-attention', up.reason);
    assert.match(up.reason ?? '', /no_such_table/);
    const state = await inst.state();
    // The schema is 1.1.0's (the Down did not run), so 1.1.0 is what runs; it stays held.
    assert.equal(state.current, '1.1.0');
    assert.equal((await inst.consistency()).db, '2');
    assert.ok(state.attention);
    assert.equal(state.attention.running, '1.1.0');
    const fix = state.attention.fix.join('\n');
    const dir = join(root, 'releases', '1.1.0', 'migrations');
    assert.ok(fix.includes(`slipway migrate down-to 1 --db <app.database> --dir ${dir}`), fix);
    assert.ok(fix.includes(`slipway rollback --version 1.0.0 --root ${root}`), fix);
    assert.match(state.rejected['1.1.0'] ?? '', /health check failed/);
    const { diagnose } = await import('../src/agent/doctor.ts');
    const checks = await diagnose(inst.layout, () => Instance.open(root));
    const wayBack = checks.find((c) => c.name === 'way back');
    assert.equal(wayBack?.ok, false);
    assert.match(wayBack?.detail ?? '', /1\. read .*agent\.log/);
    assert.ok(wayBack?.detail.includes('slipway rollback --version 1.0.0'), wayBack?.detail);
    // The operator does what it says: repairs the Down, migrates down, rolls back.
    await writeFile(join(dir, '00002_step.sql'), BAD_DOWN.replace('no_such_table', 'plans'));
    const { runMigrations } = await import('../src/migrate/runner.ts');
    await runMigrations({ db, dir, command: { kind: 'down-to', version: 1n } });
    const back = await inst.rollback({ version: '1.0.0' });
    assert.equal(back.outcome, 'rolled-back', back.reason);
    const after = await inst.state();
    assert.equal(after.current, '1.0.0');
    assert.equal(after.attention, null);
    assert.deepEqual((await inst.consistency()).problems, []);
  });

  it('migrates up on update (a PL/pgSQL function inside StatementBegin/End) and down on rollback', async () => {
    const { inst, db, publish } = await pgInstance();
    assert.equal((await inst.consistency()).db, '1');
    await publish('1.1.0', 2);
    const up = await inst.update();
    assert.equal(up.outcome, 'updated', up.reason);
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      assert.equal((await client.query<{ n: number }>('SELECT site_count() AS n')).rows[0]!.n, 0);
      assert.equal((await inst.consistency()).db, '2');
      const back = await inst.rollback();
      assert.equal(back.to, '1.0.0');
      const c = await inst.consistency();
      assert.deepEqual(c.problems, []);
      assert.equal(c.db, '1');
      await assert.rejects(client.query('SELECT site_count()'), /function site_count\(\) does not exist/);
    } finally {
      await client.end();
    }
  });
});
