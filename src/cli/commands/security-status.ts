import { securityStatus } from '../../release/advisory.ts';
import { defineCommand, json } from '../command.ts';
import { loadProject } from '../context.ts';

/** slipway security status: open advisories against the SLA; exit 1 when one is past it (a scheduled CI check). */
export default defineCommand({
  options: { json },
  async run(ctx, flags) {
    const { config, root } = await loadProject(ctx, flags);
    const rows = await securityStatus(root, config, new Date());
    const open = rows.filter((r) => r.open);
    const overdue = open.filter((r) => r.overdue);
    ctx.out.result(
      [
        ...open.map(
          (r) =>
            `${r.overdue ? '✗' : '·'} ${r.id} (${r.severity}) open for ${r.hours} h of ${config.security.slaHours} h${r.overdue ? ': past the SLA' : ''}  ${r.summary}`,
        ),
        open.length === 0
          ? `no open advisories (${rows.length} fixed)`
          : `${open.length} open, ${overdue.length} past the ${config.security.slaHours} h SLA`,
      ].join('\n'),
      { slaHours: config.security.slaHours, advisories: rows, open: open.length, overdue: overdue.length },
    );
    return overdue.length > 0 ? 1 : 0;
  },
});
