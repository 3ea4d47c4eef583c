// After tsc: stamps dist/build-info.json with the build time and commit (for `slipway version`)
// and copies the agent's web page (src/agent/ui) into dist.
import { cpSync, writeFileSync } from 'node:fs';
import { buildStamp } from './build-stamp.ts';

writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify(buildStamp())}\n`);
cpSync(new URL('../src/agent/ui', import.meta.url), new URL('../dist/agent/ui', import.meta.url), { recursive: true });
