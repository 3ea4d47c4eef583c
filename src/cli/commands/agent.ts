import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';
import { Agent } from '../../agent/agent.ts';
import { SLIPWAY_VERSION } from '../../io/package-info.ts';

/** slipway agent: runs until SIGINT/SIGTERM, then stops the app and exits 0. */
export default defineCommand({
  options: {
    root: rootDir,
    check: {
      flags: '--check',
      description:
        'only check that this executable can run the instance (its config, state and current release) and exit; a self-update runs it before switching',
    },
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    if (flags.check) {
      const agent = await Agent.create(layout.root);
      const current = await agent.preflight();
      ctx.out.result(`Slipway ${SLIPWAY_VERSION} can run ${layout.root} (${current ?? 'nothing installed'})`, {
        ok: true,
        slipway: SLIPWAY_VERSION,
        root: layout.root,
        current,
      });
      return;
    }
    const agent = await Agent.create(layout.root, {
      log: (l) => void ctx.io.stderr.write(`${new Date().toISOString()} ${l}\n`),
    });
    await agent.start();
    await ctx.stopped();
    await agent.stop();
  },
});
