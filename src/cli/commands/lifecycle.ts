import { lifecycleMarkdown, unknownEolLines } from '../../core/lifecycle/lifecycle.ts';
import { lifecycleOf } from '../../release/lifecycle.ts';
import { defineCommand, json, judgeDay } from '../command.ts';
import { loadProject } from '../context.ts';
import { checkDate, today } from '../output.ts';

/** slipway lifecycle: the version lifecycle table from the tags and lifecycle policy. */
export default defineCommand({
  options: {
    markdown: {
      flags: '--markdown',
      description: 'print the Markdown table (| Version | Status | Support | End of Life |)',
    },
    date: judgeDay,
    json,
  },
  async run(ctx, flags) {
    const { config, root } = await loadProject(ctx, flags);
    const day = flags.date === undefined ? today(ctx.io.env) : checkDate(flags.date);
    const table = await lifecycleOf(root, config, day);
    for (const w of unknownEolLines(table, config.lifecycle)) ctx.out.warn(w);
    const text =
      table.length === 0
        ? 'no stable release yet: the table starts with the first one'
        : flags.markdown
          ? lifecycleMarkdown(table)
          : table
              .map(
                (c) =>
                  `${c.label.padEnd(9)} ${c.status.padEnd(9)} latest ${c.latest} (${c.latestReleaseDate})  ${
                    c.status === 'current'
                      ? 'full support'
                      : c.status === 'security'
                        ? `security fixes until ${c.eolVersion ? `v${c.eolVersion} is out` : String(c.eol)}`
                        : `end of life since ${String(c.eol)}`
                  }`,
              )
              .join('\n');
    // --json: endoflife.date's release-cycle shape, and the status on the day.
    ctx.out.result(text, {
      date: day,
      cycles: table.map((c) => ({
        cycle: c.cycle,
        releaseDate: c.releaseDate,
        eol: c.eol,
        latest: c.latest,
        latestReleaseDate: c.latestReleaseDate,
        support: c.support,
        status: c.status,
        ...(c.eolVersion ? { eolVersion: c.eolVersion } : {}),
      })),
    });
    return 0;
  },
});
