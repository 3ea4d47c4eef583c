import { serviceStatus } from '../../agent/service.ts';
import { defineCommand, json } from '../command.ts';
import { layoutOf } from '../instance-common.ts';
import { serviceOptions, serviceTarget } from '../service-common.ts';

/** slipway service status: whether the agent's unit is installed, enabled and active (exit 1 when not installed). */
export default defineCommand({
  options: { ...serviceOptions, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const s = await serviceStatus({
      ...(await serviceTarget(ctx, layout, flags)),
    });
    const lines = [
      `${s.name}.service: ${s.installed ? `installed (${s.unitFile})` : `not installed (no ${s.unitFile})`}`,
      ...(s.execStart ? [`  runs: ${s.execStart}`] : []),
      s.systemd ? `  ${s.active ?? 'unknown'}, ${s.enabled ?? 'unknown'}` : '  systemd is not running on this machine',
    ];
    ctx.out.result(lines.join('\n'), s);
    return s.installed ? 0 : 1;
  },
});
