import { loadMigrations } from '../../migrate/runner.ts';
import { defineCommand, json } from '../command.ts';

export default defineCommand({
  options: {
    dir: { flags: '--dir <folder>', description: 'the migrations folder', default: 'migrations' },
    json,
  },
  async run(ctx, flags) {
    const dir = ctx.path(flags.dir);
    const migrations = await loadMigrations(dir);
    const data = migrations.map((m) => ({
      version: m.version.toString(),
      name: m.name,
      up: m.up.length,
      down: m.down.length,
      noTransaction: m.noTransaction,
    }));
    const noDown = migrations.filter((m) => m.down.length === 0);
    const lines = [`${migrations.length} migration${migrations.length === 1 ? '' : 's'} in ${dir} are valid`];
    if (noDown.length > 0)
      lines.push(`note: without a Down section (cannot be rolled back): ${noDown.map((m) => m.file).join(', ')}`);
    ctx.out.result(lines.join('\n'), { ok: true, migrations: data });
  },
});
