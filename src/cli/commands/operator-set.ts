import { changeOperators, parseEvents, viewOf, withPreferences } from '../../agent/operators.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';
import { preferenceOptions, preferencesOf } from '../operator-common.ts';

/** slipway operator set <name>: change an operator's notification preferences. */
export default defineCommand({
  args: [{ name: '<name>' }],
  options: { root: rootDir, ...preferenceOptions, dryRun, json },
  async run(ctx, flags, args) {
    const layout = await installedLayout(ctx, flags.root);
    const name = args[0]!;
    const prefs = {
      ...preferencesOf(flags),
      ...(flags.events === undefined ? {} : { events: parseEvents(flags.events) }),
    };
    if (Object.keys(prefs).length === 0)
      throw new SlipwayError('USAGE', 'say what to change: --email, --webhook or --events');
    const r = await changeOperators(
      layout,
      (all) => {
        const at = all.findIndex((o) => o.name === name);
        if (at < 0)
          throw new SlipwayError('USAGE', `there is no operator "${name}"; slipway operator list shows who there is`);
        const changed = withPreferences(all[at]!, prefs);
        all[at] = changed.operator;
        return { operators: all, result: changed };
      },
      { dryRun: flags.dryRun === true },
    );
    const v = viewOf(r.operator);
    const text = `${flags.dryRun ? 'would set' : 'set'} ${name}: events ${v.events.join(', ') || 'none'}; email ${v.email ?? 'none'}; webhook ${v.webhook ?? 'none'}`;
    ctx.out.result(r.secret && !flags.dryRun ? `${text}\nnew webhook secret (shown once): ${r.secret}` : text, {
      operator: v,
      ...(r.secret && !flags.dryRun ? { webhookSecret: r.secret } : {}),
      dryRun: flags.dryRun === true,
    });
  },
});
