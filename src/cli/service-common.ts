import type { ServiceOptions } from '../agent/service.ts';
import type { Layout } from '../agent/layout.ts';
import { rootDir, type RunContext } from './command.ts';

/** The options every `slipway service` command takes. */
export const serviceOptions = {
  root: rootDir,
  name: { flags: '--name <unit>', description: 'the unit name (default: slipway-<folder of the root>)' },
  unitDir: { flags: '--unit-dir <dir>', description: 'where units live (default /etc/systemd/system)' },
} as const;

/**
 * What the flags say about the unit. An install root with Slipway's executable in it
 * (bin/slipway, which a self-update repoints) is run through that link, never through the
 * versioned file this process happens to be: a unit naming agent/<version>/slipway would run the
 * old version after the next self-update, past its switch-back watchdog.
 */
export async function serviceTarget(
  ctx: RunContext,
  layout: Layout,
  flags: { name?: string | undefined; unitDir?: string | undefined },
): Promise<ServiceOptions> {
  const { linkedAgent } = await import('../agent/self.ts');
  return {
    layout,
    ...((await linkedAgent(layout)) !== null ? { command: [layout.slipwayLink] } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.unitDir ? { unitDir: ctx.path(flags.unitDir) } : {}),
  };
}
