import { readHistory } from '../../agent/state.ts';
import { formatDuration } from '../../core/schedule/duration.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';

/** slipway history [-n N] */
export default defineCommand({
  options: {
    root: rootDir,
    limit: { flags: '-n, --limit <n>', description: 'the last n entries', default: '50' },
    json,
  },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new SlipwayError('USAGE', `--limit expects a whole number of entries (1 or more), got "${flags.limit}"`);
    const entries = (await readHistory(layout.history)).slice(-limit);
    ctx.out.result(
      entries
        .map(
          (e) =>
            `${e.at}  ${e.event.padEnd(14)} ${e.from ?? ''}${e.to ? ` → ${e.to}` : ''}${e.ms !== undefined ? ` (${formatDuration(e.ms)})` : ''}${e.reason ? `  ${e.reason}` : ''}`,
        )
        .join('\n') || 'no history yet',
      { history: entries },
    );
  },
});
