import type { Reference } from '../commit/types.ts';
import type { ResolvedConfig } from '../config/schema.ts';

export interface LinkContext {
  repository: string | null;
  links: ResolvedConfig['links'];
  tagPrefix: string;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function linkContext(config: ResolvedConfig): LinkContext {
  return {
    repository: config.repository?.replace(/\/+$/, '').replace(/\.git$/, '') ?? null,
    links: config.links,
    tagPrefix: config.tagPrefix,
  };
}

export function commitUrl(ctx: LinkContext, sha: string): string | null {
  return ctx.repository === null ? null : fill(ctx.links.commit, { repository: ctx.repository, sha });
}

export function issueUrl(ctx: LinkContext, ref: Pick<Reference, 'issue' | 'repository'>): string | null {
  if (ctx.repository === null) return null;
  if (ref.repository !== null) {
    // owner/repo#12 on the same host as the configured repository.
    const host = /^(https?:\/\/[^/]+)\//.exec(ctx.repository)?.[1];
    return host ? fill(ctx.links.issue, { repository: `${host}/${ref.repository}`, id: ref.issue }) : null;
  }
  return fill(ctx.links.issue, { repository: ctx.repository, id: ref.issue });
}

/** Compare link for a version against the one before it; the first release links to its tag. */
export function compareUrl(ctx: LinkContext, from: string | null, to: string | null): string | null {
  if (ctx.repository === null) return null;
  const toRef = to === null ? 'HEAD' : `${ctx.tagPrefix}${to}`;
  if (from === null) return to === null ? null : `${ctx.repository}/releases/tag/${toRef}`;
  return fill(ctx.links.compare, { repository: ctx.repository, from: `${ctx.tagPrefix}${from}`, to: toRef });
}
