import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import type { RepositoryInfo } from '../git/repo.ts';
import { computeNext } from './next.ts';

/** The version `slipway next` decides for a channel, or NOTHING_TO_RELEASE naming the fix. */
export async function nextVersionOrFail(
  options: { cwd: string; repo: RepositoryInfo; config: ResolvedConfig; channel?: string | undefined },
  fix: string,
): Promise<string> {
  const { cwd, repo, config } = options;
  const channel = options.channel ?? config.stableChannel;
  const next = await computeNext({ cwd, repo, config, channel, releaseAs: null });
  if (next.next === null)
    throw new SlipwayError('NOTHING_TO_RELEASE', `nothing to release on ${next.channel} (${next.reason}); ${fix}`);
  return next.next;
}
