import { defineCommand } from '../command.ts';
import { changeOptions, migrationVersion, runMigrationCommand } from '../migrate-common.ts';

export default defineCommand({
  args: [{ name: '<version>' }],
  options: changeOptions,
  run: (ctx, flags, args) =>
    runMigrationCommand(ctx, flags, { kind: 'down-to', version: migrationVersion(args[0], 'down-to') }),
});
