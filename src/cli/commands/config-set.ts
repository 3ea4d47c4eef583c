import { getKey, readAgentConfig, setKey, writeAgentConfig } from '../../agent/config.ts';
import { findAgent } from '../../agent/remote.ts';
import { appendHistory } from '../../agent/state.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';

export default defineCommand({
  args: [{ name: '<key>' }, { name: '<value>' }],
  options: { root: rootDir, dryRun, json },
  async run(ctx, flags, args) {
    const layout = await layoutOf(ctx, flags.root);
    const [key, value] = args as [string, string];
    const { config } = await readAgentConfig(layout.agentConfig, new Date());
    const next = setKey(config, key, value);
    const shown = `${key} = ${JSON.stringify(getKey(next, key))}`;
    if (flags.dryRun) {
      ctx.out.result(`would set ${shown}`, { key, value: getKey(next, key), dryRun: true });
      return;
    }
    const api = await findAgent(layout);
    if (api) await api.call('PUT', '/api/config', { key, value });
    else {
      await writeAgentConfig(layout.agentConfig, next);
      await appendHistory(layout.history, { at: new Date().toISOString(), event: 'config-changed', reason: shown });
    }
    ctx.out.result(shown, { key, value: getKey(next, key) });
  },
});
