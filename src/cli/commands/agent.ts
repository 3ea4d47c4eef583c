import { defineCommand, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';
import { Agent } from '../../agent/agent.ts';

/** slipway agent: runs until SIGINT/SIGTERM, then stops the app and exits 0. */
export default defineCommand({
  options: { root: rootDir },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const agent = await Agent.create(layout.root, {
      log: (l) => void ctx.io.stderr.write(`${new Date().toISOString()} ${l}\n`),
    });
    await agent.start();
    await ctx.stopped();
    await agent.stop();
  },
});
