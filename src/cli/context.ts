import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../project/config-file.ts';
import { openRepository, type RepositoryInfo } from '../git/repo.ts';

export interface GlobalOptions {
  cwd?: string;
  config?: string;
}

/** The repository root and its config, for commands that work on a repository. */
export async function loadProject(
  options: GlobalOptions,
): Promise<LoadedConfig & { root: string; repo: RepositoryInfo }> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const repo = await openRepository(cwd);
  const loaded = await loadConfig(repo.root, options.config === undefined ? undefined : resolve(options.config));
  return { ...loaded, root: repo.root, repo };
}
