import { configJsonSchema } from '../../core/config/schema.ts';
import { defineCommand } from '../command.ts';

export default defineCommand({
  options: {},
  async run(ctx) {
    ctx.io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return Promise.resolve(0);
  },
});
