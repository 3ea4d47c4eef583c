import { getKey, readAgentConfig, setKey, writeAgentConfig } from '../../agent/config.ts';
import { findAgent } from '../../agent/remote.ts';
import { appendHistory } from '../../agent/state.ts';
import { defineCommand, dryRun, json, rootDir, type RunContext } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';
import type { Layout } from '../../agent/layout.ts';

/** update.channel should be one the feed signs: checked when the feed can be reached. */
async function checkChannel(ctx: RunContext, layout: Layout, channel: string): Promise<void> {
  let channels: string[];
  try {
    channels = await (await openInstance(ctx, layout)).feedClient().channels();
  } catch (error) {
    ctx.out.warn(`could not check update.channel against the feed (${(error as Error).message})`);
    return;
  }
  // A warning, not a refusal: the maintainer may be about to add the channel. Updates and doctor fail until then.
  if (!channels.includes(channel))
    ctx.out.warn(
      `the feed has no channel "${channel}"; it has ${channels.join(', ')}. Updates and slipway doctor fail until it does`,
    );
}

export default defineCommand({
  args: [{ name: '<key>' }, { name: '<value>' }],
  options: { root: rootDir, dryRun, json },
  async run(ctx, flags, args) {
    const layout = await layoutOf(ctx, flags.root);
    const [key, value] = args as [string, string];
    const { config } = await readAgentConfig(layout.agentConfig, new Date());
    const next = setKey(config, key, value);
    if (key === 'update.channel') await checkChannel(ctx, layout, value);
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
