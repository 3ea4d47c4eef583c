import type { ApplyResult } from '../../agent/instance.ts';
import { findAgent } from '../../agent/remote.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { describeApply, layoutOf, openInstance } from '../instance-common.ts';

/** slipway update [--version v]: exit 1 when the update was rolled back. */
export default defineCommand({
  options: {
    root: rootDir,
    version: { flags: '--version <version>', description: 'update to this version, e.g. v0.4.3' },
    force: {
      flags: '--force',
      description: 'apply even if the running version is unhealthy, or retry a release that failed before',
    },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const body = { ...(flags.version ? { version: flags.version } : {}), force: flags.force === true };
    let r: ApplyResult;
    const api = flags.dryRun ? null : await findAgent(layout);
    if (flags.dryRun) r = await (await openInstance(ctx, layout)).update({ ...body, dryRun: true });
    else if (api) {
      ctx.out.progress(`asking the agent at ${api.url}`);
      r = await api.call<ApplyResult>('POST', '/api/update', body);
    } else {
      const i = await openInstance(ctx, layout);
      r = await i.update({ ...body, progress: (s) => ctx.out.progress(s) });
      await i.delivered(); // the notifications of what it did, before the process exits
    }
    ctx.out.result(describeApply(r), { ...r, dryRun: r.outcome === 'planned' });
    return r.outcome === 'rolled-back' || r.outcome === 'needs-attention' ? 1 : 0;
  },
});
