import { CONFIG_KEYS, getKey, readAgentConfig } from '../../agent/config.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';

export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const { config, warnings } = await readAgentConfig(layout.agentConfig, new Date());
    for (const w of warnings) ctx.out.warn(w);
    const rows = Object.entries(CONFIG_KEYS).map(([k, spec]) => ({
      key: k,
      value: getKey(config, k),
      help: spec.help,
    }));
    ctx.out.result(
      rows.map((r) => `${r.key.padEnd(30)} ${JSON.stringify(r.value ?? null).padEnd(24)} ${r.help}`).join('\n'),
      { settings: Object.fromEntries(rows.map((r) => [r.key, r.value])) },
    );
  },
});
