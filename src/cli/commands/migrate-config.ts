import { SlipwayError } from '../../core/errors.ts';
import { migrateConfigFile } from '../../migrate/config-file.ts';
import { defineCommand, dryRun, json } from '../command.ts';

/** slipway migrate config <config.json> --steps <config-migrations.json> [--to N] */
export default defineCommand({
  args: [{ name: '<config>', description: 'the config file, e.g. config.json' }],
  options: {
    steps: { flags: '--steps <file>', description: "the release's config migrations (JSON)", required: true },
    to: { flags: '--to <version>', description: 'the config_version to reach (default: the newest); lower rolls back' },
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const { out } = ctx;
    const target = flags.to === undefined ? null : Number(flags.to);
    if (target !== null && !(Number.isInteger(target) && target >= 1))
      throw new SlipwayError('USAGE', `--to expects a config_version (1 or more), got "${flags.to}"`);
    const r = await migrateConfigFile({
      configPath: ctx.path(args[0]!),
      migrationsPath: ctx.path(flags.steps),
      target,
      dryRun: flags.dryRun === true,
    });
    for (const w of r.warnings) out.warn(w);
    const lines = [
      ...r.log.map((l) => `  ${l}`),
      r.changed
        ? `${flags.dryRun ? 'would move' : 'moved'} ${args[0]} from config_version ${r.from} to ${r.to}`
        : `${args[0]} is at config_version ${r.to} already`,
    ];
    if (r.archived.length > 0 && !flags.dryRun)
      lines.push(`archived ${r.archived.map((a) => a.key).join(', ')} in ${r.backupPath}`);
    out.result(lines.join('\n'), {
      from: r.from,
      to: r.to,
      changed: r.changed,
      dryRun: flags.dryRun === true,
      log: r.log,
      archived: r.archived,
      warnings: r.warnings,
      config: r.config,
    });
  },
});
