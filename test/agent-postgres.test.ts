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

/** A release of a tiny app whose state lives in PostgreSQL: a process that waits, a health command that asks the database. */
async function pgRelease(dir: string, version: string, schema: number): Promise<string> {
  const src = join(dir, `src-${version}`);
  await mkdir(join(src, 'migrations'), { recursive: true });
  for (let i = 0; i < schema; i++) await writeFile(join(src, 'migrations', `0000${i + 1}_step.sql`), MIGRATIONS[i]!);
  await writeFile(
    join(src, 'health.mjs'),
    `import pg from ${JSON.stringify(import.meta.resolve('pg'))};\nconst c = new pg.Client({ connectionString: process.env.SLIPWAY_DB });\nawait c.connect();\nconst r = await c.query('SELECT max(version_id) AS v FROM goose_db_version WHERE is_applied');\nawait c.end();\nprocess.exit(Number(r.rows[0].v) === ${schema} ? 0 : 1);\n`,
  );
  await writeFile(
    join(src, 'slipway.app.json'),
    JSON.stringify({
      name: 'pg-app',
      version,
      start: { command: ['{node}', '-e', 'setInterval(() => {}, 1000)'] },
      health: { command: ['{node}', 'health.mjs'], successes: 1, interval: '100ms', timeout: '10s' },
      migrations: 'migrations',
    }),
  );
  const out = join(dir, `pg-app-${version}`, 'app-any.tar.gz');
  await mkdir(join(dir, `pg-app-${version}`));
  await tar.c({ gzip: true, file: out, cwd: src }, ['slipway.app.json', 'health.mjs', 'migrations']);
  return out;
}

describe('the agent with the app database on PostgreSQL', () => {
  it('migrates up on update (a PL/pgSQL function inside StatementBegin/End) and down on rollback', async () => {
    const feed = await sampleFeed();
    const { publishRelease } = await import('../src/release/publish-release.ts');
    const publish = async (version: string, schema: number) =>
      publishRelease(feed.store, feed.keys, {
        version,
        channel: 'stable',
        files: [await pgRelease(feed.base, version, schema)],
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
    const inst = await Instance.open(root);
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
