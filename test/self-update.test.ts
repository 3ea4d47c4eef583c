import assert from 'node:assert/strict';
import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Layout } from '../src/agent/layout.ts';
import { linkAgent } from '../src/agent/self.ts';
import { MAX_UNPROVEN_STARTS, onStart, readSelfState, writeSwitch } from '../src/agent/self-update.ts';
import { SLIPWAY_VERSION } from '../src/io/package-info.ts';
import { tempDir } from './helpers.ts';

/**
 * The watchdog of the agent's own switch (the end-to-end self-update, with real executables, is
 * in test/binaries.test.ts): what each start of the new executable finds in state/agent-switch.json.
 */
describe("the agent's switch to a new executable", () => {
  const setup = async () => {
    const layout = new Layout(await tempDir('slipway-switch-'));
    await mkdir(layout.state, { recursive: true });
    for (const v of ['0.0.9', SLIPWAY_VERSION]) {
      await mkdir(join(layout.agentHome, v), { recursive: true });
      await writeFile(layout.agentBinary(v), '#!/bin/sh\n', { mode: 0o755 });
    }
    await linkAgent(layout, SLIPWAY_VERSION);
    const lines: string[] = [];
    return { layout, log: (l: string) => Promise.resolve(void lines.push(l)), lines };
  };

  it('counts the starts that have not proved the new executable, and switches back past the limit', async () => {
    const { layout, log, lines } = await setup();
    await writeSwitch(layout, { from: '0.0.9', to: SLIPWAY_VERSION, at: new Date().toISOString(), starts: 0 });
    for (let n = 1; n <= MAX_UNPROVEN_STARTS; n++) {
      const r = await onStart(layout, log);
      assert.equal(r.revertTo, null);
      assert.equal(r.proving?.starts, n);
    }
    // One more start that never came up (systemd restarted it each time): back to the old one.
    const r = await onStart(layout, log);
    assert.deepEqual(r, { proving: null, revertTo: '0.0.9' });
    assert.equal(await readlink(layout.slipwayLink), '../agent/0.0.9/slipway');
    assert.equal(await stat(layout.agentSwitch).catch(() => null), null, 'the switch is over');
    const self = await readSelfState(layout);
    assert.equal(self.last?.outcome, 'reverted');
    assert.match(self.failed[SLIPWAY_VERSION]!, /did not come up in 2 starts/);
    assert.match(lines.join('\n'), /switching back to 0\.0\.9/);
  });

  it('an old executable that finds a switch to another version ends it and points bin/slipway at itself', async () => {
    const { layout, log } = await setup();
    await writeSwitch(layout, { from: SLIPWAY_VERSION, to: '9.9.9', at: new Date().toISOString(), starts: 1 });
    await mkdir(join(layout.agentHome, '9.9.9'), { recursive: true });
    await linkAgent(layout, '9.9.9');
    assert.deepEqual(await onStart(layout, log), { proving: null, revertTo: null });
    assert.equal(await readlink(layout.slipwayLink), `../agent/${SLIPWAY_VERSION}/slipway`);
    assert.equal(await readFile(layout.agentSwitch, 'utf8').catch(() => 'gone'), 'gone');
  });
});
