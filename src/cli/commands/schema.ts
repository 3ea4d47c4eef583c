import { agentJsonSchema } from '../../agent/config.ts';
import { configJsonSchema } from '../../core/config/schema.ts';
import { defineCommand } from '../command.ts';

/** slipway schema [--agent]: the JSON Schema of slipway.json, or of an install root's agent.json. */
export default defineCommand({
  options: { agent: { flags: '--agent', description: "print the schema of an install root's agent.json instead" } },
  run(ctx, flags) {
    const schema = flags.agent ? agentJsonSchema() : configJsonSchema();
    ctx.io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return Promise.resolve(0);
  },
});
