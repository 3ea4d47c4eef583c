import { calendarMarkdown } from '../../core/lifecycle/calendar.ts';
import { calendarOf } from '../../release/lifecycle.ts';
import { defineCommand, json, judgeDay } from '../command.ts';
import { loadProject } from '../context.ts';
import { checkDate } from '../output.ts';

/** slipway calendar: planned releases with their status from the tags, and the cadence check. */
export default defineCommand({
  options: {
    markdown: {
      flags: '--markdown',
      description: 'print the Markdown table (| Version | Target Date | Status | Focus |)',
    },
    check: {
      flags: '--check',
      description: 'exit 1 when a planned release is late or a channel is past its cadence (CI)',
    },
    date: judgeDay,
    json,
  },
  async run(ctx, flags) {
    const { config, root } = await loadProject(ctx, flags);
    if (flags.date !== undefined) checkDate(flags.date);
    const now = flags.date ? new Date(`${flags.date}T12:00:00Z`) : new Date();
    const { rows, cadence } = await calendarOf(root, config, now);
    const warnings = [
      ...rows.filter((r) => r.status === 'late').map((r) => `v${r.version} was due by ${r.due} and is not released`),
      ...cadence
        .filter((c) => c.overdue)
        .map((c) =>
          c.newest === null
            ? `${c.channel} has no release yet (cadence ${c.every})`
            : `${c.channel}'s newest release, ${c.newest.version}, is ${c.ageDays} days old (cadence ${c.every})`,
        ),
    ];
    const table = flags.markdown
      ? calendarMarkdown(rows)
      : rows
          .map((r) =>
            `v${r.version.padEnd(10)} ${r.target.padEnd(10)} ${r.status.padEnd(9)} ${r.focus ?? ''}`.trimEnd(),
          )
          .join('\n');
    const text = [
      rows.length === 0 ? 'no planned releases (calendar in slipway.json)' : table,
      ...warnings.map((w) => `warning: ${w}`),
    ].join('\n');
    ctx.out.result(text, { calendar: rows, cadence, warnings });
    return flags.check && warnings.length > 0 ? 1 : 0;
  },
});
