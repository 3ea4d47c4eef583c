// The agent's memory: idle RSS after start-up and after its first feed check, and under API
// load, side by side with a bare Node HTTP server in the same run (the floor any Node agent
// pays), for the npm build and the single executable.
//   . scripts/node-env.sh && npm ci && npm run build   (npm run build:binaries adds the executable)
//   node bench/footprint.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install } from '../src/agent/install.ts';
import { Layout } from '../src/agent/layout.ts';
import { placeAgentBinary } from '../src/agent/self.ts';
import { hashFile } from '../src/io/hash.ts';
import { packExecutable } from '../src/release/publish-agent.ts';
import { freePort } from '../src/io/free-port.ts';
import { createSampleFeed } from '../src/testing/sample-feed.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist', 'cli', 'bin.js');
if (!existsSync(bin)) throw new Error('build first: npm run build');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS and VmHWM of one process (not its children: the app the agent runs is not counted). */
function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

async function until<T>(what: string, f: () => Promise<T | null>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v !== null) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Requests `n` times, `concurrency` at a time. */
async function load(url: string, headers: Record<string, string>, n: number, concurrency = 8): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await (await fetch(url, { headers })).arrayBuffer();
    }),
  );
}

const work = await mkdtemp(join(tmpdir(), 'slipway-footprint-'));
const feed = await createSampleFeed();
await feed.release({ version: '1.0.0', schema: 1 });
const rows: { what: string; idle: number; checked: number | null; loaded: number; lean: number | null }[] = [];

// The floor: node:http answering a small JSON document.
{
  const server = spawn(
    process.execPath,
    [
      '-e',
      "require('node:http').createServer((q, s) => s.end(JSON.stringify({ ok: true, url: q.url }))).listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((done) =>
    server.stdout.once('data', (d: Buffer) => done(d.toString().trim())),
  );
  await sleep(3000);
  const idle = rssMiB(server.pid!).rss;
  await load(`http://127.0.0.1:${port}/`, {}, 2000);
  rows.push({ what: 'bare node:http server', idle, checked: null, loaded: rssMiB(server.pid!).peak, lean: null });
  server.kill();
}

async function agentRow(what: string, command: string[]): Promise<void> {
  const instance = join(work, `instance-${rows.length}`);
  await install({
    root: instance,
    feed: feed.url,
    channel: 'stable',
    trustedRoot: feed.rootFile,
    port: await freePort(),
  });
  // Lean after 8 s idle here (2 min by default), so the run does not wait.
  const agent: ChildProcess = spawn(command[0]!, [...command.slice(1), 'agent', '--root', instance], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SLIPWAY_AGENT_LEAN_AFTER_MS: '8000' },
  });
  let log = '';
  agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  agent.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`${what} exited ${code}:\n${log}`);
  });
  const api = await until('the agent', async () =>
    readFile(join(instance, 'state', 'api.json'), 'utf8')
      .then((t) => JSON.parse(t) as { url: string })
      .catch(() => null),
  );
  await sleep(3000);
  const idle = rssMiB(agent.pid!).rss;
  const headers = { authorization: `Bearer ${(await readFile(join(instance, 'state', 'token'), 'utf8')).trim()}` };
  // The first check (tuf-js, the feed): what the agent holds between checks afterwards.
  await fetch(`${api.url}/api/check-now`, { method: 'POST', headers });
  await sleep(3000);
  const checked = rssMiB(agent.pid!).rss;
  await load(`${api.url}/api/status`, headers, 2000);
  const loaded = rssMiB(agent.pid!).peak;
  // Then idle: the agent re-executes itself lean (agent/lean.ts) and holds the app until there is work.
  await until(
    'the lean agent',
    async () =>
      readFile(join(instance, 'state', 'api.json'), 'utf8')
        .then((t) => ((JSON.parse(t) as { lean?: boolean }).lean ? true : null))
        .catch(() => null),
    // The first periodic check (0–60 s after start, then every check-interval) comes first.
    1500,
  );
  await sleep(3000);
  rows.push({ what, idle, checked, loaded, lean: rssMiB(agent.pid!).rss });
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
}

// FOOTPRINT_NODE_FLAGS="--max-semi-space-size=1" tries V8 flags on the npm build's agent.
const flags = (process.env.FOOTPRINT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
await agentRow(`slipway agent (npm build, node ${[...flags, 'dist/cli/bin.js'].join(' ')})`, [
  process.execPath,
  ...flags,
  bin,
]);
const single = join(root, 'dist', 'bin', 'slipway-linux-x64');
if (existsSync(single)) {
  // The executable as an install or a self-update places it (packed, unpacked by tar), not the
  // build's own file: postject writes that with one large write(), which newer kernels cache in
  // large folios, and mapping those maps whole folios (about 18 MiB more RSS for the same pages
  // of code; the same program from a copy of the file does not have it).
  const packed = await packExecutable(single, new Date().toISOString(), work, 'slipway.tar.gz');
  const [archive, executable] = await Promise.all([hashFile(packed), hashFile(single)]);
  const placed = await placeAgentBinary(
    new Layout(join(work, 'placed')),
    packed,
    {
      path: 'slipway.tar.gz',
      sha256: archive.sha256,
      length: archive.length,
      executableSha256: executable.sha256,
      executableLength: executable.length,
    },
    'bench',
  );
  await agentRow('slipway agent (single executable, as installed)', [placed]);
}

await feed.dispose();
await rm(work, { recursive: true, force: true });
const floor = rows[0]!.idle;
console.log(`node ${process.version}; RSS of the one process (the app it runs is not counted), MiB\n`);
console.log(
  '| process | after start | vs bare server | after a check | peak under 2000 API requests | idle (lean) | vs bare server |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.what} | ${r.idle.toFixed(0)} | ${(r.idle / floor).toFixed(2)}x | ${r.checked === null ? '–' : r.checked.toFixed(0)} | ${r.loaded.toFixed(0)} | ${r.lean === null ? '–' : r.lean.toFixed(0)} | ${r.lean === null ? '–' : `${(r.lean / floor).toFixed(2)}x`} |`,
  );
