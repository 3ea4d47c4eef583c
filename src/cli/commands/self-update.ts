import { findAgent } from '../../agent/remote.ts';
import { selfUpdate, type SelfUpdateResult } from '../../agent/self-update.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';

/** slipway self-update: the agent's own executable, replaced by a newer one from the feed. */
export default defineCommand({
  options: {
    root: rootDir,
    force: { flags: '--force', description: 'try again a version that failed here before' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const api = flags.dryRun ? null : await findAgent(layout);
    const r: SelfUpdateResult = api
      ? await api.call<SelfUpdateResult>('POST', '/api/self-update', { force: flags.force === true })
      : await selfUpdate(await openInstance(ctx, layout), (l) => Promise.resolve(ctx.out.progress(l)), {
          dryRun: flags.dryRun === true,
          force: flags.force === true,
        });
    const text = {
      'not-applicable': () => `no self-update: ${'reason' in r ? r.reason : ''}`,
      'up-to-date': () => `Slipway ${r.version} is the newest on ${'channel' in r ? r.channel : ''}`,
      available: () => `would update Slipway ${r.version} → ${'to' in r ? r.to : ''}`,
      failed: () => `Slipway stays on ${r.version}: ${'reason' in r ? r.reason : ''}`,
      switching: () =>
        api
          ? `Slipway ${r.version} → ${'to' in r ? r.to : ''}: switched; the agent is re-executing (the app keeps running)`
          : `Slipway ${r.version} → ${'to' in r ? r.to : ''}: bin/slipway switched; the agent runs it from its next start`,
    }[r.outcome]();
    ctx.out.result(text, { ...r, agent: api !== null, dryRun: flags.dryRun === true });
    return r.outcome === 'failed' ? 1 : 0;
  },
});
