// After tsc: stamps dist/build-info.json with the build time and commit (for `slipway version`)
// and copies the agent's web page (src/agent/ui) into dist.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { buildStamp } from './build-stamp.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify(buildStamp(pkg.version))}\n`);
cpSync(new URL('../src/agent/ui', import.meta.url), new URL('../dist/agent/ui', import.meta.url), { recursive: true });
