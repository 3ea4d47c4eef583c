import { defineCommand } from '../command.ts';
import { allowMissing, changeOptions, runMigrationCommand } from '../migrate-common.ts';

export default defineCommand({
  options: { ...changeOptions, allowMissing },
  run: (ctx, flags) => runMigrationCommand(ctx, flags, { kind: 'up', allowMissing: flags.allowMissing === true }),
});
