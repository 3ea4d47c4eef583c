import { diagnose, type Check } from '../../agent/doctor.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';

/** slipway doctor: exit 1 when a check fails. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const checks = await diagnose(layout, () => openInstance(ctx, layout));
    const mark = (c: Check) => (c.ok === true ? '✓' : c.ok === 'warn' ? '!' : '✗');
    const failed = checks.filter((c) => c.ok === false).length;
    ctx.out.result(
      [
        ...checks.map((c) => `${mark(c)} ${c.name.padEnd(20)} ${c.detail}`),
        failed ? `${failed} check(s) failed` : 'all checks passed',
      ].join('\n'),
      { ok: failed === 0, checks },
    );
    return failed ? 1 : 0;
  },
});
