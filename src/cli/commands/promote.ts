import { promote } from '../../release/promote.ts';
import { defineCommand, feedChange } from '../command.ts';
import { checkLines, feedContext, versionArgument } from '../feed-common.ts';

/** slipway promote <version> --to <channel> */
export default defineCommand({
  args: [{ name: '<version>', description: 'the version, e.g. 1.3.0' }],
  options: {
    to: { flags: '--to <channel>', description: 'the channel to promote to', required: true },
    ...feedChange,
  },
  async run(ctx, flags, args) {
    const f = await feedContext(ctx, flags);
    const version = versionArgument(args[0], f.project);
    const r = await promote(f, { version, to: flags.to, dryRun: flags.dryRun === true });
    const head =
      r.outcome === 'planned'
        ? `would promote ${version} from ${r.from} to ${r.to}`
        : r.outcome === 'promoted'
          ? `promoted ${version} from ${r.from} to ${r.to}`
          : `${version} is on ${r.to} already`;
    ctx.out.result([head, ...checkLines(r.checks)].join('\n'), { ...r, changed: r.outcome === 'promoted' });
  },
});
