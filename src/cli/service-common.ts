import { rootDir } from './command.ts';

/** The options every `slipway service` command takes. */
export const serviceOptions = {
  root: rootDir,
  name: { flags: '--name <unit>', description: 'the unit name (default: slipway-<folder of the root>)' },
  unitDir: { flags: '--unit-dir <dir>', description: 'where units live (default /etc/systemd/system)' },
} as const;
