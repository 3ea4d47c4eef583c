// After tsc: stamps dist/build-info.json with the build time and commit (for `slipway version`)
// and copies the agent's web page (src/agent/ui) into dist.
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';

const epoch = process.env.SOURCE_DATE_EPOCH;
const build = `${new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 19)}Z`;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // not a git checkout (an npm tarball): no commit to stamp
}
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify({ build, commit })}\n`);
cpSync(new URL('../src/agent/ui', import.meta.url), new URL('../dist/agent/ui', import.meta.url), { recursive: true });
