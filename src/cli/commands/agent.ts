import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';
import { SLIPWAY_VERSION } from '../../io/package-info.ts';

// Loaded by the branch that needs it (function declarations at the top level: tsc rewrites their .ts specifiers).
async function loadLean() {
  return import('../../agent/lean.ts');
}
async function loadAgent() {
  return import('../../agent/agent.ts');
}

/** Idle this long, the agent goes lean (agent/lean.ts); SLIPWAY_AGENT_LEAN_AFTER_MS sets it (0: never). */
const LEAN_AFTER_MS = 120_000;

/** slipway agent: runs until SIGINT/SIGTERM, then stops the app and exits 0. */
export default defineCommand({
  options: {
    root: rootDir,
    check: {
      flags: '--check',
      description:
        'only check that this executable can run the instance (its config, state and current release) and exit; a self-update runs it before switching',
    },
    lean: {
      flags: '--lean',
      description: 'internal: the idle agent re-executes itself with it (it holds the app until there is work)',
    },
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    if (flags.lean) {
      // Only the small process's code: none of the agent's own.
      const { runLean } = await loadLean();
      await runLean(layout.root, ctx.stopped());
      return;
    }
    const { Agent } = await loadAgent();
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
    const leanAfter = Number(ctx.io.env.SLIPWAY_AGENT_LEAN_AFTER_MS ?? LEAN_AFTER_MS);
    const agent = await Agent.create(layout.root, {
      log: (l) => void ctx.io.stderr.write(`${new Date().toISOString()} ${l}\n`),
      leanAfterMs: Number.isFinite(leanAfter) && leanAfter >= 0 ? leanAfter : LEAN_AFTER_MS,
    }).catch(async (error: Error) => {
      // Woken with the app running (from lean, or an executable before): the app is held on
      // by the lean agent while this cannot start; otherwise this fails as it is.
      const { backToLean } = await loadLean();
      await backToLean(layout.root, error);
      throw error;
    });
    await agent.start();
    await ctx.stopped();
    await agent.stop();
  },
});
