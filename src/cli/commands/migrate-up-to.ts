import { defineCommand } from '../command.ts';
import { allowMissing, changeOptions, migrationVersion, runMigrationCommand } from '../migrate-common.ts';

export default defineCommand({
  args: [{ name: '<version>' }],
  options: { ...changeOptions, allowMissing },
  run: (ctx, flags, args) =>
    runMigrationCommand(ctx, flags, {
      kind: 'up-to',
      version: migrationVersion(args[0], 'up-to'),
      allowMissing: flags.allowMissing === true,
    }),
});
