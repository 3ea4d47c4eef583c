import type { ApplyResult } from '../../agent/instance.ts';
import { findAgent } from '../../agent/remote.ts';
import { formatDuration } from '../../core/schedule/duration.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';

/** slipway rollback [--version v] */
export default defineCommand({
  options: {
    root: rootDir,
    version: { flags: '--version <version>', description: 'a kept version, e.g. v0.4.1' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const api = flags.dryRun ? null : await findAgent(layout);
    const body = flags.version ? { version: flags.version } : {};
    let r: ApplyResult;
    if (api) r = await api.call<ApplyResult>('POST', '/api/rollback', body);
    else {
      const i = await openInstance(ctx, layout);
      r = await i.rollback({ ...body, dryRun: flags.dryRun === true });
      await i.delivered(); // the notifications of what it did, before the process exits
    }
    ctx.out.result(
      r.outcome === 'planned'
        ? (r.reason ?? `would roll back ${r.from} → ${r.to}`)
        : r.outcome === 'needs-attention'
          ? `the rollback ${r.from} → ${r.to} failed part way: ${r.reason}`
          : `rolled back ${r.from} → ${r.to} in ${formatDuration(r.ms)}${r.health && !r.health.healthy ? `; WARNING: ${r.to} is not healthy (${r.health.last})` : ''}`,
      { ...r, dryRun: r.outcome === 'planned' },
    );
    return r.outcome === 'needs-attention' ? 1 : 0;
  },
});
