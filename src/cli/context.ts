import { loadConfig, type LoadedConfig } from '../project/config-file.ts';
import { openRepository, type RepositoryInfo } from '../git/repo.ts';
import type { GlobalFlags, RunContext } from './command.ts';

/** The repository root and its config, for commands that work on a repository. */
export async function loadProject(
  ctx: RunContext,
  flags: GlobalFlags,
): Promise<LoadedConfig & { root: string; repo: RepositoryInfo }> {
  const repo = await openRepository(ctx.path(flags.cwd ?? '.'));
  const loaded = await loadConfig(repo.root, flags.config === undefined ? undefined : ctx.path(flags.config));
  return { ...loaded, root: repo.root, repo };
}
