import { migrationStatus } from '../../migrate/runner.ts';
import { defineCommand } from '../command.ts';
import { databaseOf, dbOptions } from '../migrate-common.ts';

export default defineCommand({
  options: dbOptions,
  async run(ctx, flags) {
    const s = await migrationStatus(databaseOf(ctx, flags.db), ctx.path(flags.dir));
    const lines = ['    Applied At                  Migration', '    ======================================='];
    for (const r of s.rows)
      lines.push(
        `    ${(r.applied ? (r.appliedAt ?? 'applied') : r.missing ? 'Pending (missing: older than applied)' : 'Pending').padEnd(28)}-- ${r.file}`,
      );
    lines.push(`database version: ${s.version}`);
    ctx.out.result(lines.join('\n'), s);
  },
});
