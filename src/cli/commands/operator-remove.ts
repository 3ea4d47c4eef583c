import { changeOperators } from '../../agent/operators.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';

/** slipway operator remove <name>: their token stops working at once; their pending notifications are dropped. */
export default defineCommand({
  args: [{ name: '<name>' }],
  options: { root: rootDir, dryRun, json },
  async run(ctx, flags, args) {
    const layout = await installedLayout(ctx, flags.root);
    const name = args[0]!;
    await changeOperators(
      layout,
      (all) => {
        if (!all.some((o) => o.name === name))
          throw new SlipwayError('USAGE', `there is no operator "${name}"; slipway operator list shows who there is`);
        return { operators: all.filter((o) => o.name !== name), result: null };
      },
      { dryRun: flags.dryRun === true },
    );
    ctx.out.result(
      `${flags.dryRun ? 'would remove' : 'removed'} ${name}${flags.dryRun ? '' : '; their token no longer works'}`,
      {
        removed: name,
        dryRun: flags.dryRun === true,
      },
    );
  },
});
