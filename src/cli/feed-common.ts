import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { parseVersionArgument } from '../core/version/tags.ts';
import { KeyRing } from '../feed/key-ring.ts';
import { openStore, type FeedStore } from '../feed/store.ts';
import { openRepository } from '../git/repo.ts';
import { loadConfig } from '../project/config-file.ts';
import type { FeedContext } from '../release/feed-context.ts';
import type { GlobalFlags, RunContext } from './command.ts';

export interface Project {
  config: ResolvedConfig;
  repoRoot: string | null;
}

/**
 * slipway.json: the repository's when run in one; outside one (a feed kept apart from the code),
 * --config or the working folder's slipway.json; the defaults when there is none.
 */
export async function readProject(ctx: RunContext, flags: GlobalFlags): Promise<Project> {
  const explicit = flags.config === undefined ? undefined : ctx.path(flags.config);
  const cwd = ctx.path(flags.cwd ?? '.');
  try {
    const repo = await openRepository(cwd);
    const config = await loadConfig(repo.root, explicit);
    return { config: config.config, repoRoot: repo.root };
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_A_REPOSITORY')
      return { config: (await loadConfig(cwd, explicit)).config, repoRoot: null };
    throw error;
  }
}

export const keyRing = (ctx: RunContext, dir: string): KeyRing => new KeyRing({ dir: ctx.path(dir), env: ctx.io.env });

export const feedStore = (ctx: RunContext, feed: string): Promise<FeedStore> =>
  openStore(feed.startsWith('s3://') ? feed : ctx.path(feed), ctx.io.env);

/** Everything a maintainer's feed operation needs, from the flags every such command takes. */
export async function feedContext(
  ctx: RunContext,
  flags: GlobalFlags & { keys: string; feed: string },
): Promise<FeedContext & { project: Project }> {
  const project = await readProject(ctx, flags);
  return {
    project,
    config: project.config,
    repoRoot: project.repoRoot,
    store: await feedStore(ctx, flags.feed),
    keys: keyRing(ctx, flags.keys),
    now: new Date(),
  };
}

export const versionArgument = (raw: string | undefined, project: Project): string =>
  parseVersionArgument(raw ?? '', project.config.tagPrefix);

/** A check mark per rule the release passed. */
export const checkLines = (checks: readonly string[]): string[] => checks.map((c) => `  ✓ ${c}`);
