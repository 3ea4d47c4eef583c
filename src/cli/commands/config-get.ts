import { CONFIG_KEYS, getKey, readAgentConfig } from '../../agent/config.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';

export default defineCommand({
  args: [{ name: '<key>' }],
  options: { root: rootDir, json },
  async run(ctx, flags, args) {
    const layout = await layoutOf(ctx, flags.root);
    const key = args[0]!;
    if (!CONFIG_KEYS[key])
      throw new SlipwayError('USAGE', `unknown setting "${key}"; known: ${Object.keys(CONFIG_KEYS).join(', ')}`);
    const { config } = await readAgentConfig(layout.agentConfig, new Date());
    const value = getKey(config, key);
    ctx.out.result(typeof value === 'string' ? value : JSON.stringify(value ?? null), { key, value });
  },
});
