import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlipwayError } from '../errors.ts';
import { deprecationWarnings, migrateConfig, type JsonObject } from './apply.ts';
import { ConfigMigrationsSchema } from './schema.ts';

const now = new Date('2026-11-22T12:00:00Z');
const migrations = ConfigMigrationsSchema.parse({
  migrations: [
    {
      version: 2,
      description: 'TLS settings move under server.tls',
      steps: [{ rename: { from: 'server.ssl_mode', to: 'server.tls.mode' } }, { remove: 'legacy.panel_theme' }],
    },
    {
      version: 3,
      steps: [
        { default: { key: 'update.check-interval', value: '6h' } },
        { default: { key: 'update.channel', value: 'stable' } },
      ],
    },
  ],
  deprecated: [{ key: 'server.ssl_mode', replacement: 'server.tls.mode', since: '2.0' }],
});
const v1: JsonObject = {
  server: { ssl_mode: 'strict', port: 8443 },
  legacy: { panel_theme: 'dark' },
  update: { channel: 'beta' },
};

describe('migrateConfig', () => {
  it('renames, archives removed keys and fills new keys with their defaults', () => {
    const r = migrateConfig(v1, migrations, 3, { now });
    assert.deepEqual(r.config, {
      server: { port: 8443, tls: { mode: 'strict' } },
      update: { channel: 'beta', 'check-interval': '6h' },
      config_version: 3,
    });
    assert.deepEqual(r.archived, [
      { version: 2, key: 'legacy.panel_theme', value: 'dark', at: '2026-11-22T12:00:00.000Z' },
    ]);
    assert.deepEqual([r.from, r.to], [1, 3]);
    assert.deepEqual(r.log, [
      'renamed server.ssl_mode -> server.tls.mode',
      'removed legacy.panel_theme (archived in config.backup.json)',
      'config_version 2: TLS settings move under server.tls',
      'set update.check-interval to its default "6h"',
      'default update.channel: set already',
      'config_version 3',
    ]);
    assert.deepEqual(v1.server, { ssl_mode: 'strict', port: 8443 }, 'the input is not changed');
  });

  it('rolls back to the original config, restoring archived values', () => {
    const up = migrateConfig(v1, migrations, 3, { now });
    const down = migrateConfig(up.config, migrations, 1, { now, backup: up });
    assert.deepEqual(down.config, v1);
    assert.deepEqual(
      down.archived.map((a) => [a.key, a.value]),
      [['update.check-interval', '6h']],
      'keys the old version does not know are archived, not lost',
    );
  });

  it('moves one version at a time when asked', () => {
    const r = migrateConfig(v1, migrations, 2, { now });
    assert.equal(r.config.config_version, 2);
    assert.equal((r.config.update as JsonObject)['check-interval'], undefined);
  });

  it('refuses a target version no migration reaches, and a bad config_version', () => {
    assert.throws(
      () => migrateConfig(v1, migrations, 7, { now }),
      (e: SlipwayError) => e.code === 'CONFIG_MIGRATION_UNKNOWN' && /known: 1, 2, 3/.test(e.message),
    );
    assert.throws(
      () => migrateConfig({ config_version: 'two' }, migrations, 3, { now }),
      (e: SlipwayError) => e.code === 'CONFIG_VERSION_INVALID',
    );
  });

  it('does not overwrite a key the user set already; the old one is archived', () => {
    const r = migrateConfig({ server: { ssl_mode: 'old', tls: { mode: 'new' } } }, migrations, 2, { now });
    assert.deepEqual(r.config.server, { tls: { mode: 'new' } });
    assert.deepEqual(
      r.archived.map((a) => [a.key, a.value]),
      [['server.ssl_mode', 'old']],
    );
  });

  it('round-trips any config that uses the migrated keys (up then down gives it back)', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(
        fc.option(value, { nil: undefined }),
        fc.option(value, { nil: undefined }),
        fc.option(value, { nil: undefined }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), value),
        (ssl, theme, channel, extra) => {
          const config: JsonObject = { ...extra };
          if (ssl !== undefined) config.server = { ssl_mode: ssl };
          if (theme !== undefined) config.legacy = { panel_theme: theme };
          if (channel !== undefined) config.update = { channel };
          const up = migrateConfig(config, migrations, 3, { now });
          const down = migrateConfig(up.config, migrations, 1, { now, backup: up });
          assert.deepEqual(down.config, config);
        },
      ),
    );
  });
});

describe('deprecationWarnings', () => {
  it('warns once per deprecated key still in use, naming its replacement', () => {
    assert.deepEqual(deprecationWarnings(v1, migrations), [
      'config key server.ssl_mode is deprecated since 2.0; use server.tls.mode instead',
    ]);
    assert.deepEqual(deprecationWarnings(migrateConfig(v1, migrations, 3, { now }).config, migrations), []);
  });
});
