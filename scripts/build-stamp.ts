// When and from which commit a build was made (dist/build-info.json; the executable's asset of the
// same name), for `slipway version`. SOURCE_DATE_EPOCH makes it reproducible.
import { execFileSync } from 'node:child_process';

export function buildStamp(version: string): { slipway: string; build: string; commit: string } {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const build = `${new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 19)}Z`;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout (an npm tarball): no commit to stamp
  }
  // `slipway` first: `feed publish-agent` finds this record in an executable it cannot run (another arch).
  return { slipway: version, build, commit };
}
