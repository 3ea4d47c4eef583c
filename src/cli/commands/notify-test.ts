import { readAgentConfig } from '../../agent/config.ts';
import { drain, emit, outbox, type NotifyContext } from '../../agent/notify.ts';
import { readOperators } from '../../agent/operators.ts';
import { readState } from '../../agent/state.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';

/** slipway notify test: sends a test notification to every operator's webhook and email now, and says what happened. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await installedLayout(ctx, flags.root);
    const { config } = await readAgentConfig(layout.agentConfig, new Date());
    const operators = await readOperators(layout);
    if (!operators.some((o) => o.email || o.webhook))
      throw new SlipwayError(
        'USAGE',
        'no operator has an email or a webhook; slipway operator set <name> --email … / --webhook …',
      );
    const n: NotifyContext = {
      layout,
      config,
      env: ctx.io.env,
      now: () => new Date(),
      log: (l) => Promise.resolve(ctx.out.progress(l)),
    };
    // A test reaches everyone with a channel, whatever events they chose.
    const everyone = operators.map((o) => o.name);
    const queued = await emit(
      n,
      {
        event: 'test',
        version: (await readState(layout.stateFile)).current,
        target: null,
        title: 'Test notification',
        text: 'Slipway can reach you.',
      },
      undefined,
      everyone,
    );
    // Only this test's deliveries (anything else waiting keeps its own schedule).
    const sent = await drain(n, { only: (d) => d.notification.title === 'Test notification' && d.attempts === 0 });
    const left = await outbox(layout);
    ctx.out.result(
      [
        `${queued} delivery(ies): ${sent.delivered} delivered, ${sent.retrying} to retry, ${sent.failed} failed`,
        ...sent.errors.map((e) => `  ${e}`),
      ].join('\n'),
      { queued, ...sent, pending: left.pending.length },
    );
    return sent.failed === 0 && sent.retrying === 0 && sent.delivered >= queued ? 0 : 1;
  },
});
