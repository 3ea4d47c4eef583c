import type { ServiceOptions } from '../agent/service.ts';
import type { Layout } from '../agent/layout.ts';
import { rootDir, type RunContext } from './command.ts';

/** The options every `slipway service` command takes. */
export const serviceOptions = {
  root: rootDir,
  name: { flags: '--name <unit>', description: 'the unit name (default: slipway-<folder of the root>)' },
  unitDir: { flags: '--unit-dir <dir>', description: 'where units live (default /etc/systemd/system)' },
} as const;

/** What the flags say about the unit. */
export function serviceTarget(
  ctx: RunContext,
  layout: Layout,
  flags: { name?: string | undefined; unitDir?: string | undefined },
): ServiceOptions {
  return {
    layout,
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.unitDir ? { unitDir: ctx.path(flags.unitDir) } : {}),
  };
}
