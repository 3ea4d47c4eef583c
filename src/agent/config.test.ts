import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SlipwayError } from '../core/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { AGENT_CONFIG_VERSION, agentJsonSchema, getKey, readAgentConfig, setKey } from './config.ts';

describe("the agent's own settings (agent.json)", () => {
  it('moves an old layout forward with the same config migrations releases use, and warns once about the old key', async () => {
    const dir = await tempDir();
    const path = join(dir, 'agent.json');
    await writeFile(
      path,
      JSON.stringify({
        config_version: 1,
        feed: { url: 'http://127.0.0.1:1/feed' },
        update: { channel: 'beta', interval: '12h' },
      }),
    );
    const r = await readAgentConfig(path, new Date());
    assert.equal(r.migrated, true);
    assert.equal(r.config.config_version, AGENT_CONFIG_VERSION);
    assert.equal(r.config.update['check-interval'], '12h');
    assert.equal(r.config.update.keep, 2);
    assert.deepEqual(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /update\.interval.*update\.check-interval/);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { update: Record<string, unknown> };
    assert.equal(saved.update.interval, undefined);
    assert.equal((await readAgentConfig(path, new Date())).warnings.length, 0, 'the warning goes with the old key');
  });

  it('sets keys with checks', async () => {
    const dir = await tempDir();
    const path = join(dir, 'agent.json');
    await writeFile(
      path,
      JSON.stringify({ config_version: 2, feed: { url: 'http://127.0.0.1:1/feed' }, update: { channel: 'stable' } }),
    );
    const { config } = await readAgentConfig(path, new Date());
    assert.equal(
      getKey(setKey(config, 'update.security-bypass-window', 'false'), 'update.security-bypass-window'),
      false,
    );
    assert.equal(getKey(setKey(config, 'update.keep', '5'), 'update.keep'), 5);
    assert.throws(
      () => setKey(config, 'update.keep', '0'),
      (e: SlipwayError) => e.code === 'USAGE' && /from 2 to 20, got "0"/.test(e.message),
    );
    assert.throws(() => setKey(config, 'update.security-bypass-window', 'yes'), /expects true or false/);
    assert.throws(() => setKey(config, 'update.channel', 'Beta!'), /channel name/);
    await writeFile(path, '{ not json');
    await assert.rejects(readAgentConfig(path, new Date()), (e: SlipwayError) => e.code === 'CONFIG_INVALID');
  });

  it('matches schema/agent.schema.json (run npm run schema after changing the settings)', async () => {
    const shipped: unknown = JSON.parse(
      await readFile(new URL('../../schema/agent.schema.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(shipped, agentJsonSchema());
  });
});
