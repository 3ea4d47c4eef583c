import { defineCommand } from '../command.ts';
import { changeOptions, runMigrationCommand } from '../migrate-common.ts';

export default defineCommand({
  options: changeOptions,
  run: (ctx, flags) => runMigrationCommand(ctx, flags, { kind: 'down' }),
});
