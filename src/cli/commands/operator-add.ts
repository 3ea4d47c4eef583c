import { changeOperators, newOperator, parseEvents, ROLES, viewOf, type Role } from '../../agent/operators.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, dryRun, json, rootDir } from '../command.ts';
import { installedLayout } from '../instance-common.ts';
import { preferenceOptions, preferencesOf } from '../operator-common.ts';

/** slipway operator add <name>: a named operator with their own token and notification preferences. */
export default defineCommand({
  args: [{ name: '<name>', description: 'who they are, e.g. alice' }],
  options: {
    root: rootDir,
    role: { flags: '--role <role>', description: `${ROLES.join(' or ')} (viewers only read)`, default: 'admin' },
    ...preferenceOptions,
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const layout = await installedLayout(ctx, flags.root);
    const name = args[0]!;
    if (!(ROLES as readonly string[]).includes(flags.role))
      throw new SlipwayError('USAGE', `--role expects ${ROLES.join(' or ')}, got "${flags.role}"`);
    const prefs = {
      ...preferencesOf(flags),
      ...(flags.events === undefined ? {} : { events: parseEvents(flags.events) }),
    };
    const r = await changeOperators(
      layout,
      (all) => {
        if (all.some((o) => o.name.toLowerCase() === name.toLowerCase()))
          throw new SlipwayError(
            'USAGE',
            `there is an operator "${name}" already (slipway operator list); pick another name`,
          );
        const made = newOperator(name, flags.role as Role, prefs, new Date());
        return { operators: [...all, made.operator], result: made };
      },
      { dryRun: flags.dryRun === true },
    );
    const view = viewOf(r.operator);
    if (flags.dryRun) {
      ctx.out.result(`would add ${name} (${view.role}); notified of ${view.events.join(', ') || 'nothing'}`, {
        operator: view,
        dryRun: true,
      });
      return;
    }
    const lines = [
      `added ${name} (${view.role}); notified of ${view.events.join(', ') || 'nothing'}${view.email ? ` by email to ${view.email}` : ''}${view.webhook ? ` by webhook to ${view.webhook}` : ''}`,
      `token (shown once; only its hash is kept): ${r.token}`,
      ...(r.secret ? [`webhook secret (checks the x-slipway-signature-256 header; shown once): ${r.secret}`] : []),
      `the page: slipway ui --root ${layout.root}, then sign in with the token`,
    ];
    ctx.out.result(lines.join('\n'), {
      operator: view,
      token: r.token,
      ...(r.secret ? { webhookSecret: r.secret } : {}),
    });
  },
});
