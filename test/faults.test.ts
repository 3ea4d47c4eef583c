import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Agent } from '../src/agent/agent.ts';
import { readAgentConfig, setKey, writeAgentConfig } from '../src/agent/config.ts';
import { install } from '../src/agent/install.ts';
import { Instance } from '../src/agent/instance.ts';
import { waitHealthy } from '../src/agent/health.ts';
import { SlipwayError } from '../src/core/errors.ts';
import type { SampleBuild } from '../src/testing/sample-app.ts';
import { freePort, installRoot, sampleFeed, stopFirst } from './agent-helpers.ts';

/**
 * The fault matrix: broken and hostile releases × (`slipway update` without an agent, the agent's
 * own apply). After each, the instance runs its old version, healthy, with its database schema
 * and config.json exactly as before, and the next good release applies.
 */
type Edit = (dir: string) => Promise<void>;
const write =
  (file: string, text: string): Edit =>
  (dir) =>
    writeFile(join(dir, file), text);
const manifest =
  (change: (m: Record<string, unknown>) => void): Edit =>
  async (dir) => {
    const m = JSON.parse(await readFile(join(dir, 'slipway.app.json'), 'utf8')) as Record<string, unknown>;
    change(m);
    await writeFile(join(dir, 'slipway.app.json'), JSON.stringify(m));
  };
const serverThat = (body: string): Edit => write('server.js', body);

interface Case {
  name: string;
  build?: Partial<Omit<SampleBuild, 'out' | 'version'>>;
  edit?: Edit;
  /** refused: rejected before anything stopped; rolled-back: applied, failed, undone. */
  expect: 'refused' | 'rolled-back';
  /** Runs before the update (and returns a clean-up), e.g. to hold the app's port. */
  around?: (port: number) => Promise<() => Promise<void>>;
  tamper?: boolean;
  /** Changes the instance before the update (its config.json), and puts it right before the good release. */
  prepare?: (root: string) => Promise<void>;
  /** Only without an agent: under one, the running app holds its own port until the update stops it. */
  withoutAgentOnly?: boolean;
  /** agent.json settings for this case. */
  settings?: Record<string, string>;
  repair?: (root: string) => Promise<void>;
}

const configJson = (text: string) => (root: string) => writeFile(join(root, 'config.json'), text);

const UP = '-- +goose Up\n';
const CASES: Case[] = [
  {
    name: 'SQL before -- +goose Up',
    build: { schema: 2 },
    edit: write(
      'migrations/00002_add_tags.sql',
      `CREATE TABLE x (a int);\n${UP}SELECT 1;\n-- +goose Down\nSELECT 1;\n`,
    ),
    expect: 'refused',
  },
  {
    name: 'StatementBegin without StatementEnd',
    build: { schema: 2 },
    edit: write(
      'migrations/00002_add_tags.sql',
      `${UP}-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 1;\n`,
    ),
    expect: 'refused',
  },
  {
    name: 'a duplicate migration version',
    build: { schema: 2 },
    edit: write('migrations/00002_again.sql', `${UP}SELECT 1;\n-- +goose Down\nSELECT 1;\n`),
    expect: 'refused',
  },
  {
    name: 'an unknown goose annotation',
    build: { schema: 2 },
    edit: write('migrations/00002_add_tags.sql', `${UP}-- +goose Sideways\nSELECT 1;\n-- +goose Down\nSELECT 1;\n`),
    expect: 'refused',
  },
  {
    name: 'a migration without a Down',
    build: { schema: 2 },
    edit: write('migrations/00002_add_tags.sql', `${UP}CREATE TABLE t2 (a int);\n`),
    expect: 'refused',
  },
  {
    name: 'configMigrations names a missing file',
    build: { schema: 1 },
    edit: manifest((m) => (m.configMigrations = 'nope.json')),
    expect: 'refused',
  },
  {
    name: 'config migrations that are not JSON',
    build: { schema: 1 },
    edit: write('config-migrations.json', '{"migrations": ['),
    expect: 'refused',
  },
  {
    name: 'a start command that does not exist',
    edit: manifest((m) => (m.start = { command: ['/nonexistent/bin'] })),
    expect: 'refused',
  },
  {
    name: 'a start command that is not executable',
    edit: manifest((m) => (m.start = { command: ['./server.js'] })),
    expect: 'refused',
  },
  {
    name: 'no slipway.app.json',
    edit: async (dir) => {
      const { rm } = await import('node:fs/promises');
      await rm(join(dir, 'slipway.app.json'));
    },
    expect: 'refused',
  },
  { name: 'a slipway.app.json that is not JSON', edit: write('slipway.app.json', '{"name": '), expect: 'refused' },
  {
    name: 'a link chain out of the release',
    edit: async (dir) => {
      const { mkdir, symlink } = await import('node:fs/promises');
      await mkdir(join(dir, 'a'));
      await symlink('..', join(dir, 'a', 'b'));
      await symlink('b/..', join(dir, 'a', 'c'));
    },
    expect: 'refused',
  },
  { name: 'a changed artifact byte (tampered after signing)', tamper: true, expect: 'refused' },
  {
    name: 'a migration missing a semicolon (fails when run)',
    build: { schema: 2 },
    edit: write(
      'migrations/00002_add_tags.sql',
      `${UP}CREATE TABLE t2 (a int)\nCREATE TABLE t3 (b int);\n-- +goose Down\nDROP TABLE t2;\n`,
    ),
    expect: 'rolled-back',
  },
  {
    name: 'a migration that fails halfway (the second of two)',
    build: { schema: 3 },
    edit: write(
      'migrations/00003_audit_log.sql',
      `${UP}CREATE TABLE audit (id int);\nINSERT INTO nowhere VALUES (1);\n-- +goose Down\nDROP TABLE audit;\n`,
    ),
    expect: 'rolled-back',
  },
  {
    name: 'a health check that never passes, and a Down that fails',
    build: { schema: 2, broken: true },
    edit: write(
      'migrations/00002_add_tags.sql',
      `${UP}CREATE TABLE t2 (a int);\n-- +goose Down\nDROP TABLE not_there;\n`,
    ),
    expect: 'rolled-back',
  },
  {
    name: 'a health check that never passes',
    build: { schema: 3, configVersion: 2, broken: true },
    expect: 'rolled-back',
  },
  {
    name: 'an app that exits at once',
    build: { schema: 2 },
    edit: serverThat('console.error("cannot start: no license"); process.exit(1);\n'),
    expect: 'rolled-back',
  },
  {
    name: 'an app that crashes after one healthy answer',
    build: { schema: 1 },
    edit: serverThat(
      `import { createServer } from 'node:http';\nconst s = createServer((q, r) => { r.end('ok'); setTimeout(() => process.exit(3), 20); });\ns.listen(Number(process.env.PORT), '127.0.0.1');\n`,
    ),
    expect: 'rolled-back',
  },
  {
    name: 'an app that hangs without listening',
    build: { schema: 1 },
    edit: serverThat('setInterval(() => {}, 1000);\n'),
    expect: 'rolled-back',
  },
  {
    name: 'a start script that forks a daemon and exits 0',
    build: { schema: 1 },
    edit: async (dir) => {
      await writeFile(join(dir, 'start.sh'), 'nohup "$1" server.js >/dev/null 2>&1 &\nexit 0\n');
      await manifest((m) => (m.start = { command: ['/bin/sh', 'start.sh', '{node}'] }))(dir);
    },
    expect: 'rolled-back',
  },
  {
    name: 'a health url on another host (cloud metadata)',
    edit: manifest((m) => (m.health = { url: 'http://169.254.169.254/latest/meta-data/', successes: 1 })),
    expect: 'refused',
  },
  {
    name: 'a migration that never ends (a recursive query without a limit)',
    build: { schema: 2 },
    edit: write(
      'migrations/00002_add_tags.sql',
      `${UP}WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n-- +goose Down\nSELECT 1;\n`,
    ),
    settings: { 'update.migration-timeout': '2s' },
    expect: 'rolled-back',
  },
  {
    name: 'config.json holds [] (not an object)',
    build: { schema: 2, configVersion: 2 },
    prepare: configJson('[]\n'),
    repair: configJson('{"config_version": 1}\n'),
    expect: 'refused',
  },
  {
    name: 'config.json is at a config_version newer than the release knows',
    build: { schema: 2, configVersion: 2 },
    prepare: configJson('{"config_version": 7}\n'),
    repair: configJson('{"config_version": 1}\n'),
    expect: 'refused',
  },
  {
    name: "another process answers 200 on the app's port",
    build: { schema: 1 },
    withoutAgentOnly: true,
    expect: 'rolled-back',
    around: async (port) => {
      const holder = createServer((_q, r) => r.end('{"ok":true}'));
      await new Promise<void>((done) => holder.listen(port, '127.0.0.1', done));
      return () => new Promise<void>((done) => holder.close(() => done()));
    },
  },
];

describe('the fault matrix: broken and hostile releases never brick an instance', { concurrency: 2 }, async () => {
  const feed = await sampleFeed();
  await feed.release({ version: '1.0.0', schema: 1, configVersion: 1 });
  await feed.release({ version: '1.9.0', schema: 3, configVersion: 2 });
  let n = 0;

  for (const mode of ['update', 'agent'] as const) {
    for (const c of CASES) {
      if (mode === 'agent' && c.withoutAgentOnly) continue;
      const version = `1.5.${n++}`;
      // Hostile releases, so unchecked: slipway publish would refuse several of them (no
      // slipway.app.json, links that lead out), but an instance must survive a feed that has them.
      const published = await feed.release(
        { version, schema: 1, configVersion: 1, ...c.build, ...(c.edit ? { extra: c.edit } : {}) },
        { unchecked: true },
      );
      it(`${mode}: ${c.name}`, async () => {
        if (c.tamper) {
          const a = published.targets[0]!;
          const cut = a.path.lastIndexOf('/');
          const blob = join(feed.dir, 'targets', a.path.slice(0, cut), `${a.sha256}.${a.path.slice(cut + 1)}`);
          const bytes = await readFile(blob);
          bytes[bytes.length - 10]! ^= 0xff;
          await writeFile(blob, bytes);
        }
        const root = await installRoot();
        const port = await freePort();
        await install({ root, feed: feed.url, channel: 'stable', trustedRoot: feed.rootFile, port, version: '1.0.0' });
        await c.prepare?.(root);
        for (const [key, value] of Object.entries(c.settings ?? {})) {
          const path = join(root, 'agent.json');
          await writeAgentConfig(path, setKey((await readAgentConfig(path, new Date())).config, key, value));
        }
        const configBefore = await readFile(join(root, 'config.json'));
        let agent: Agent | null = null;
        let inst: Instance;
        if (mode === 'agent') {
          agent = await Agent.create(root, { firstCheckMs: 3_600_000 });
          await agent.start();
          const a = agent;
          stopFirst(root, () => a.stop());
          inst = agent.instance;
        } else inst = await Instance.open(root);
        const before = await inst.consistency();
        const dbBefore = before.db;
        const cleanup = c.around ? await c.around(port) : null;
        let outcome: string;
        let why = '';
        try {
          const r = await inst.update({ version });
          outcome = r.outcome;
          why = r.reason ?? '';
        } catch (error) {
          assert.ok(error instanceof SlipwayError, `a clear error, not ${String(error)}`);
          assert.ok(error.message.length > 20);
          outcome = 'refused';
          why = `${error.code}: ${error.message}`;
        } finally {
          await cleanup?.();
        }
        assert.equal(outcome, c.expect, why);
        const after = await inst.consistency();
        assert.deepEqual(after.problems, before.problems);
        assert.equal(after.link, '1.0.0');
        assert.equal(after.db, dbBefore, 'the schema is as before');
        assert.deepEqual(
          await readFile(join(root, 'config.json')),
          configBefore,
          'config.json is as before, byte for byte',
        );
        const state = await inst.state();
        assert.ok(state.rejected[version], `${version} is held (${why})`);
        assert.match(JSON.stringify(await inst.history()), new RegExp(version.replace(/\./g, '\\.')));
        // The old version answers healthy (under the agent it was restarted; without one, start it to look).
        const { manifest: m, dir } = await inst.manifestOf('1.0.0');
        const { run, health } = inst.runtime('1.0.0', dir, m);
        if (mode === 'update') await inst.app.start(run);
        assert.ok((await waitHealthy({ ...health, timeout: '10s' })).healthy, '1.0.0 is healthy');
        if (mode === 'update') await inst.app.stop();
        // And the next good release applies.
        await c.repair?.(root);
        const good = await inst.update({ version: '1.9.0' });
        assert.equal(good.outcome, 'updated', good.reason);
        assert.equal((await inst.consistency()).db, '3');
      });
    }
  }
});
