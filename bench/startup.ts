// Start-up: what a CI job that runs slipway dozens of times pays per call, side by side with
// `node -e 0` (the floor), git-cliff's native binary, and import costs of the package's pieces.
//   . scripts/node-env.sh && npm ci && npm run build && npm install --prefix bench
//   (npm run build:binaries first adds the single executable's rows)
//   node bench/startup.ts [runs]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install } from '../src/agent/install.ts';
import { freePort } from '../src/io/free-port.ts';
import { createSampleFeed } from '../src/testing/sample-feed.ts';
import { ScratchRepo } from '../src/testing/scratch-repo.ts';

const runs = Number(process.argv[2] ?? '15');
const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'cli', 'bin.js'))) throw new Error('build first: npm run build');
const bin = join(dist, 'cli', 'bin.js');

function median(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  process.stderr.write(`measuring ${args.join(' ')}\n`);
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
    if (i >= 2) times.push(ms); // two warm-up runs fill the compile cache and the page cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const work = await mkdtemp(join(tmpdir(), 'slipway-startup-'));
const repo = await ScratchRepo.create(join(work, 'repo'));
for (let i = 0; i < 30; i++) await repo.commit(i % 3 === 0 ? `feat: feature ${i}` : `fix: bug ${i}`);
await repo.tag('v1.0.0', { annotated: true });
for (let i = 0; i < 5; i++) await repo.commit(`fix: after ${i}`);

// A running agent, so `status` asks it over HTTP.
const feed = await createSampleFeed();
await feed.release({ version: '1.0.0', schema: 1 });
const instanceRoot = join(work, 'instance');
await install({
  root: instanceRoot,
  feed: feed.url,
  channel: 'stable',
  trustedRoot: feed.rootFile,
  port: await freePort(),
});
// In its own process: spawnSync below blocks this one's event loop.
const agent = spawn(process.execPath, [bin, 'agent', '--root', instanceRoot], { stdio: 'ignore' });
for (let i = 0; i < 100 && !existsSync(join(instanceRoot, 'state', 'api.json')); i++)
  await new Promise((r) => setTimeout(r, 100));

const cliffBin = join(root, 'bench', 'node_modules', 'git-cliff-linux-x64', 'bin', 'git-cliff');
const rows: [string, number][] = [];
const floor = median(process.execPath, ['-e', '0']);
rows.push(['node -e 0 (floor)', floor]);
rows.push(['slipway --version', median(process.execPath, [bin, '--version'])]);
rows.push(['slipway next --json (35 commits)', median(process.execPath, [bin, 'next', '--json'], { cwd: repo.dir })]);
rows.push([
  'slipway status --root (agent answers)',
  median(process.execPath, [bin, 'status', '--root', instanceRoot, '--json']),
]);
// The single executable (npm run build:binaries): Node's start-up plus the one bundled file.
const single = join(dist, 'bin', 'slipway-linux-x64');
if (existsSync(single)) {
  rows.push(['slipway-linux-x64 --version (single executable)', median(single, ['--version'])]);
  rows.push(['slipway-linux-x64 next --json (35 commits)', median(single, ['next', '--json'], { cwd: repo.dir })]);
}
if (existsSync(cliffBin))
  rows.push([
    'git-cliff --bumped-version (native)',
    median(cliffBin, ['--unreleased', '--bumped-version'], { cwd: repo.dir }),
  ]);
// The floor for an ES-module import from `node -e`: the ESM loader plus node:http itself.
rows.push([
  'import node:http (ESM floor)',
  median(process.execPath, ['--input-type=module', '-e', "await import('node:http')"]),
]);
for (const piece of ['http', 'core', 'feed', 'agent']) {
  const file = join(dist, piece, 'index.js');
  rows.push([
    `import slipway/${piece}`,
    median(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`]),
  ]);
}
rows.push([
  'import slipway (everything)',
  median(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dist, 'index.js'))})`]),
]);

agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await feed.dispose();
await rm(work, { recursive: true, force: true });

const version = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
console.log(`node ${version}, ${runs} runs each (median, after 2 warm-up runs), 2 cores\n`);
console.log('| what | ms (median) | vs node -e 0 | above node -e 0 (ms) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [what, ms] of rows)
  console.log(`| ${what} | ${ms.toFixed(1)} | ${(ms / floor).toFixed(2)}x | ${(ms - floor).toFixed(1)} |`);
