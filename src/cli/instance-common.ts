import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { formatDuration } from '../core/schedule/duration.ts';
import { Layout } from '../agent/layout.ts';
import type { ApplyResult, Instance } from '../agent/instance.ts';
import { exists } from '../io/optional-read.ts';
import type { RunContext } from './command.ts';

/** --root, then $SLIPWAY_ROOT, then the current folder when it is an install root. */
export async function layoutOf(ctx: RunContext, root: string | undefined): Promise<Layout> {
  const given = root ?? ctx.io.env.SLIPWAY_ROOT;
  if (given) return new Layout(ctx.path(given));
  if (await exists(join(ctx.io.cwd, 'agent.json'))) return new Layout(ctx.io.cwd);
  throw new SlipwayError('USAGE', 'pass --root <dir> (the install root) or set SLIPWAY_ROOT');
}

/** layoutOf, for commands that change an install root's own files: it must be one (agent.json). */
export async function installedLayout(ctx: RunContext, root: string | undefined): Promise<Layout> {
  const layout = await layoutOf(ctx, root);
  if (!(await exists(layout.agentConfig)))
    throw new SlipwayError(
      'NOT_INSTALLED',
      `${layout.root} is not an install root (it has no agent.json); pass the --root given to slipway install`,
    );
  return layout;
}

export async function openInstance(ctx: RunContext, layout: Layout): Promise<Instance> {
  const { Instance } = await import('../agent/instance.ts');
  return Instance.open(layout.root, { log: (l) => ctx.out.progress(l), env: ctx.io.env });
}

export function describeApply(r: ApplyResult): string {
  switch (r.outcome) {
    case 'planned':
      return r.reason ?? `would update ${r.from ?? 'nothing'} → ${r.to}`;
    case 'up-to-date':
      return r.reason
        ? `up to date at ${r.from ?? 'nothing'}; ${r.reason}`
        : `up to date (${r.from ?? 'nothing installed'})`;
    case 'staged':
      return (
        r.reason ?? `staged ${r.to}; it applies at the next maintenance window${r.applyAt ? ` (${r.applyAt})` : ''}`
      );
    case 'updated':
      return `updated ${r.from ?? 'nothing'} → ${r.to} in ${formatDuration(r.ms)}${r.health ? ` (healthy after ${r.health.attempts} probes)` : ''}`;
    case 'rolled-back':
      return `update to ${r.to} failed and was rolled back to ${r.from ?? 'nothing'}: ${r.reason}`;
    case 'needs-attention':
      return `${r.from ?? 'nothing'} → ${r.to} failed and its way back failed too: ${r.reason}`;
  }
}
