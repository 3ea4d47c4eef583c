import { installService } from '../../agent/service.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { installedLayout } from '../instance-common.ts';
import { serviceOptions, serviceTarget } from '../service-common.ts';

/** slipway service install: a systemd unit that runs the agent (verified, enabled, started). */
export default defineCommand({
  options: {
    ...serviceOptions,
    user: { flags: '--user <name>', description: 'the system user the agent runs as (it must own the install root)' },
    writeOnly: { flags: '--write-only', description: 'write (and verify) the unit only; do not enable or start it' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const layout = await installedLayout(ctx, flags.root);
    const r = await installService({
      ...(await serviceTarget(ctx, layout, flags)),
      ...(flags.user ? { user: flags.user } : {}),
      start: flags.writeOnly !== true,
      dryRun: flags.dryRun === true,
    });
    const verified =
      r.verified === null ? ' (systemd-analyze is not installed: not verified)' : ', verified with systemd-analyze';
    const text = flags.dryRun
      ? `would write ${r.unitFile}${verified}:\n\n${r.unit}`
      : `wrote ${r.unitFile}${verified}${r.started ? `; enabled and started ${r.name}.service` : '; not started (--write-only): systemctl enable --now ' + `${r.name}.service`}`;
    ctx.out.result(text, { ...r, dryRun: flags.dryRun === true });
  },
});
