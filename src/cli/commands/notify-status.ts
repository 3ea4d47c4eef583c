import { outbox, retryFailed } from '../../agent/notify.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';

/** slipway notify status: the notifications waiting for a retry and those that failed; --retry sends the failed ones again. */
export default defineCommand({
  options: {
    root: rootDir,
    retry: { flags: '--retry', description: 'put the failed deliveries back in the outbox (sent at the next tick)' },
    json,
  },
  async run(ctx, flags) {
    const layout = await installedLayout(ctx, flags.root);
    const retried = flags.retry ? await retryFailed(layout) : 0;
    const { pending, failed } = await outbox(layout);
    const line = (d: (typeof pending)[number]) =>
      `  ${d.notification.at} ${d.notification.title} → ${d.operator} (${d.channel}), ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}`;
    const lines = [
      ...(flags.retry ? [`${retried} failed delivery(ies) put back in the outbox`] : []),
      `pending: ${pending.length}`,
      ...pending.map((d) => `${line(d)}; next ${d.nextAt}`),
      `failed: ${failed.length}`,
      ...failed.map(line),
    ];
    ctx.out.result(lines.join('\n'), { pending, failed, retried });
    return failed.length > 0 && !flags.retry ? 1 : 0;
  },
});
