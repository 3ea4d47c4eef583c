import type { StatusReport } from '../../agent/report.ts';
import { findAgent } from '../../agent/remote.ts';
import type { Layout } from '../../agent/layout.ts';
import { defineCommand, json, rootDir, type RunContext } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';

/** Without an agent: the instance's own code, loaded only then (asking an agent needs none of it). */
async function describeLocally(ctx: RunContext, layout: Layout): Promise<StatusReport> {
  const { describeStatus } = await import('../../agent/report.ts');
  return describeStatus(await openInstance(ctx, layout));
}

/** slipway status: asks the running agent, or reads the install root. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const api = await findAgent(layout);
    const s: StatusReport = api
      ? await api.call<StatusReport>('GET', '/api/status')
      : await describeLocally(ctx, layout);
    const lines = [
      `${s.current ?? 'nothing installed'} on ${s.channel} from ${s.feed}`,
      `  agent: Slipway ${s.slipway}, ${s.agent.running ? `running (pid ${s.agent.pid}), app ${s.agent.appRunning ? 'running' : 'stopped'}` : 'not running'}`,
      `  kept for rollback: ${s.kept.map((k) => k.version).join(', ') || '—'}`,
      `  maintenance window: ${s.window.windows}${s.window.next ? `; next ${s.window.next}` : ''}`,
      ...(s.staged
        ? [
            `  staged: ${s.staged.version}${s.staged.security ? ` (security: ${s.staged.security})` : ''}, applies ${s.staged.applyAt ?? 'now'}`,
          ]
        : []),
      ...(s.lastCheck
        ? [
            `  last check: ${s.lastCheck.at}${s.lastCheck.available ? `, ${s.lastCheck.available} available` : ', up to date'}${s.lastCheck.error ? `, error: ${s.lastCheck.error}` : ''}`,
          ]
        : []),
      ...(s.pending ? [`  PENDING RECOVERY: ${s.pending}`] : []),
      ...(s.attention
        ? [
            `  NEEDS ATTENTION: ${s.attention.problem}; running ${s.attention.running ?? 'nothing'}`,
            ...s.attention.fix.map((f, n) => `    ${n + 1}. ${f}`),
          ]
        : []),
      ...(s.warnings ?? []).map((w) => `  WARNING: ${w}`),
      ...(s.notifications && (s.notifications.pending > 0 || s.notifications.failed > 0)
        ? [
            `  notifications: ${s.notifications.pending} waiting, ${s.notifications.failed} failed${s.notifications.failed > 0 ? ' (slipway notify status)' : ''}`,
          ]
        : []),
      ...Object.entries(s.rejected).map(([v, why]) => `  held back: ${v} (${why})`),
    ];
    ctx.out.result(lines.join('\n'), s);
  },
});
