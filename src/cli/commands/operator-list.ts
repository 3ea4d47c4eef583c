import { readOperators, viewOf } from '../../agent/operators.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';

/** slipway operator list */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await installedLayout(ctx, flags.root);
    const operators = (await readOperators(layout)).map(viewOf);
    const lines = operators.map(
      (o) =>
        `${o.name}  ${o.role}  events: ${o.events.join(', ') || 'none'}; email: ${o.email ?? '—'}; webhook: ${o.webhook ?? '—'}`,
    );
    ctx.out.result(lines.join('\n') || 'no operators yet (slipway operator add <name>)', { operators });
  },
});
