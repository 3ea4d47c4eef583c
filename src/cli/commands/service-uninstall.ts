import { uninstallService } from '../../agent/service.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { layoutOf } from '../instance-common.ts';
import { serviceOptions, serviceTarget } from '../service-common.ts';

/** slipway service uninstall: stops and disables the agent's unit and removes it (the install root stays). */
export default defineCommand({
  options: { ...serviceOptions, dryRun, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const r = await uninstallService({
      ...(await serviceTarget(ctx, layout, flags)),
      dryRun: flags.dryRun === true,
    });
    ctx.out.result(
      flags.dryRun
        ? `would stop, disable and remove ${r.unitFile}`
        : `removed ${r.unitFile}${r.stopped ? `; ${r.name}.service stopped and disabled` : ''}; the install root is untouched`,
      { ...r, dryRun: flags.dryRun === true },
    );
  },
});
