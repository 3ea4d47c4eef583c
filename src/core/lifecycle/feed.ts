import { lineOf, type Cycle } from './lifecycle.ts';

/** What a channel of the feed says about the support of each line (the lifecycle table). */
export interface FeedLifecycle {
  schema: 1;
  line: 'major' | 'minor';
  cycles: Cycle[];
}

export const lifecyclePath = (channel: string): string => `${channel}/lifecycle.json`;

export interface LineSupport {
  line: string;
  status: 'current' | 'security' | 'eol';
  eol: string | boolean;
  /** The line to move to when this one is not current. */
  moveTo: string | null;
  warning: string | null;
}

/** The support of the installed version's line, with the warning an operator should see. */
export function lineSupport(doc: FeedLifecycle, version: string | null): LineSupport | null {
  if (version === null) return null;
  const { cycle, moveTo } = lineOf(doc.cycles, version, doc.line);
  if (cycle === null) return null;
  const target = moveTo === null ? '' : `; move to ${moveTo.label} (${moveTo.latest})`;
  const warning =
    cycle.status === 'eol'
      ? `${version} is on ${cycle.label}, which reached its end of life${typeof cycle.eol === 'string' ? ` on ${cycle.eol}` : ''} and gets no fixes${target}`
      : cycle.status === 'security'
        ? `${version} is on ${cycle.label}, which gets security fixes only${typeof cycle.eol === 'string' ? ` until ${cycle.eol}` : ''}${target}`
        : null;
  return { line: cycle.label, status: cycle.status, eol: cycle.eol, moveTo: moveTo?.label ?? null, warning };
}
