// The feed, measured side by side with what a user would otherwise run:
//   1. publishing a 1 GiB artifact: Slipway's hashing against `sha256sum` on the same file, the
//      whole publish, and the publisher's peak RSS;
//   2. `slipway feed serve` against nginx serving the same folder: requests per second for
//      metadata/timestamp.json, with and without If-None-Match, loaded by autocannon on 127.0.0.1;
//   3. a feed holding 5,000 releases: metadata sizes, and an instance's refresh-and-select time
//      through tuf-js.
//
//   npm install --prefix bench && node bench/feed.ts [MiB=1024] [releases=5000] [seconds=10]
//   needs nginx (apt-get install nginx-light) for part 2; skipped with a note when absent.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedClient } from '../src/feed/client.ts';
import { FeedSession } from '../src/feed/session.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { indexEntry, manifestPath, selectUpdate } from '../src/core/feed/manifest.ts';
import { plainManifest } from '../src/testing/manifests.ts';
import { bigFile, median, newFeed, reporter, WORK } from './lib/feed-setup.ts';

/** The peak resident memory (VmHWM) of processes, summed, in MiB, read from /proc. */
function peakRssMiB(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(m?.[1] ?? 0);
    } catch {
      // gone already
    }
  }
  return Math.round(kib / 1024);
}

const [mib = 1024, releases = 5000, seconds = 10] = process.argv.slice(2).map(Number);
const SLIPWAY = join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');
const { say, lines: out } = reporter();
mkdirSync(WORK, { recursive: true });
const dir = mkdtempSync(join(WORK, 'feed-'));

// 1. Publishing a big artifact.
{
  const file = await bigFile(mib);
  const { store, keyDir } = await newFeed(join(dir, 'publish'));
  const sums: number[] = [];
  const ours: { hashMs: number; publishMs: number; maxRssKiB: number }[] = [];
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const r = spawnSync('sha256sum', [file], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('sha256sum failed');
    sums.push(performance.now() - t);
    t = performance.now();
    const c = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'lib', 'publish-child.ts'), store.location, keyDir, file, `1.0.${i}`],
      { encoding: 'utf8' },
    );
    if (c.status !== 0) throw new Error(c.stderr);
    ours.push(JSON.parse(c.stdout) as { hashMs: number; publishMs: number; maxRssKiB: number });
  }
  const sum = median(sums);
  const hash = median(ours.map((o) => o.hashMs));
  const gib = mib / 1024;
  say(`\n### Publishing a ${mib} MiB artifact (median of 3)\n`);
  say('| | time | throughput | vs sha256sum |');
  say('| --- | --- | --- | --- |');
  say(`| sha256sum | ${(sum / 1000).toFixed(2)} s | ${(gib / (sum / 1000)).toFixed(2)} GiB/s | 1.00x |`);
  say(
    `| Slipway hashing (hashFile) | ${(hash / 1000).toFixed(2)} s | ${(gib / (hash / 1000)).toFixed(2)} GiB/s | ${(sum / hash).toFixed(2)}x |`,
  );
  say(
    `| Slipway publish (hash, copy into the feed, sign) | ${(median(ours.map((o) => o.publishMs)) / 1000).toFixed(2)} s | | |`,
  );
  say(
    `\nPeak RSS of the publishing process: ${Math.round(Math.max(...ours.map((o) => o.maxRssKiB)) / 1024)} MB (target: under 200 MB; hashing at least 0.8x sha256sum).`,
  );
}

// 2. Serving: slipway feed serve against nginx, same folder.
{
  const { store, keys } = await newFeed(join(dir, 'serve'));
  const small = join(dir, 'app-linux-amd64.tar.gz');
  writeFileSync(small, 'x'.repeat(4096));
  await publishRelease(store, keys, {
    version: '1.0.0',
    channel: 'stable',
    files: [small],
    now: new Date(),
    unchecked: true, // 4 KiB of x: only its serving is measured
  });
  const require = createRequire(join(import.meta.dirname, 'package.json'));
  const autocannon = require('autocannon') as (o: Record<string, unknown>) => Promise<{
    requests: { average: number };
    non2xx: number;
    errors: number;
    statusCodeStats: Record<string, { count: number }>;
  }>;
  const load = async (url: string, headers: Record<string, string>) => {
    const r = await autocannon({ url, connections: 32, duration: seconds, headers });
    return { rps: r.requests.average, codes: Object.keys(r.statusCodeStats).join('/'), errors: r.errors };
  };
  const etagOf = async (url: string) => (await fetch(url)).headers.get('etag') ?? '';
  const port = 20000 + Math.floor(Math.random() * 20000);
  const ours = spawn(process.execPath, [SLIPWAY, 'feed', 'serve', store.location, '--port', String(port), '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => ours.stdout.once('data', r));
  const ourUrl = `http://127.0.0.1:${port}/metadata/timestamp.json`;
  const ourPlain = await load(ourUrl, {});
  const ourCond = await load(ourUrl, { 'if-none-match': await etagOf(ourUrl) });
  const ourRss = peakRssMiB([ours.pid!]);
  ours.kill('SIGTERM');
  // What the library route gave (kept to justify serve.ts being hand-written).
  const fport = port + 2;
  const lib = spawn(
    process.execPath,
    [join(import.meta.dirname, 'lib', 'fastify-static-server.ts'), store.location, String(fport)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((r) => lib.stdout.once('data', r));
  const libUrl = `http://127.0.0.1:${fport}/metadata/timestamp.json`;
  const libPlain = await load(libUrl, {});
  const libCond = await load(libUrl, { 'if-none-match': await etagOf(libUrl) });
  lib.kill('SIGTERM');
  say(`\n### Serving metadata/timestamp.json (autocannon, 32 connections, ${seconds} s, 127.0.0.1)\n`);
  say('| server | plain GET req/s | If-None-Match (304) req/s |');
  say('| --- | --- | --- |');
  say(
    `| slipway feed serve (one Node process) | ${Math.round(ourPlain.rps)} (${ourPlain.codes}) | ${Math.round(ourCond.rps)} (${ourCond.codes}) |`,
  );
  say(
    `| fastify + @fastify/static + @fastify/compress (one Node process) | ${Math.round(libPlain.rps)} (${libPlain.codes}) | ${Math.round(libCond.rps)} (${libCond.codes}) |`,
  );
  const nginx = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')[0];
  if (nginx) {
    const conf = join(dir, 'nginx.conf');
    const nport = port + 1;
    writeFileSync(
      conf,
      `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\n${process.getuid?.() === 0 ? 'user root;\n' : ''}events { worker_connections 1024; }\nhttp {\n  access_log off;\n  include /etc/nginx/mime.types;\n  gzip on; gzip_types application/json;\n  client_body_temp_path ${dir}/nginx-body; proxy_temp_path ${dir}/nginx-proxy; fastcgi_temp_path ${dir}/nginx-fcgi; uwsgi_temp_path ${dir}/nginx-uwsgi; scgi_temp_path ${dir}/nginx-scgi;\n  server {\n    listen 127.0.0.1:${nport};\n    root ${store.location};\n    etag on;\n    location = /metadata/timestamp.json { add_header Cache-Control "public, max-age=60, must-revalidate"; }\n  }\n}\n`,
    );
    const ng = spawn(nginx, ['-c', conf, '-e', join(dir, 'nginx-error.log')], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 700));
    const nUrl = `http://127.0.0.1:${nport}/metadata/timestamp.json`;
    const nPlain = await load(nUrl, {});
    const nCond = await load(nUrl, { 'if-none-match': await etagOf(nUrl) });
    const workers = spawnSync('pgrep', ['-P', String(ng.pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    const nRss = peakRssMiB([ng.pid!, ...workers]);
    ng.kill('SIGQUIT');
    say(
      `| nginx ${spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: nginx/', '')} (one worker) | ${Math.round(nPlain.rps)} (${nPlain.codes}) | ${Math.round(nCond.rps)} (${nCond.codes}) |`,
    );
    say(
      `| ratio (Slipway / nginx) | ${(ourPlain.rps / nPlain.rps).toFixed(2)}x | ${(ourCond.rps / nCond.rps).toFixed(2)}x |`,
    );
    say(`\nPeak RSS while loaded: slipway feed serve ${ourRss} MiB; nginx ${nRss} MiB (master and worker together).`);
  } else say('\nnginx is not installed (apt-get install nginx-light): the comparison was skipped.');
}

// 3. A feed holding many releases.
{
  const { store, keys } = await newFeed(join(dir, 'many'));
  const t0 = performance.now();
  const session = await FeedSession.open(store);
  const index = await session.index('stable');
  const art = join(dir, 'tiny-linux-amd64.tar.gz');
  writeFileSync(art, 'tiny');
  for (let i = 0; i < releases; i++) {
    const version = `${Math.floor(i / 100)}.${i % 100}.0`;
    const path = `stable/${version}/tiny-linux-amd64.tar.gz`;
    await session.putFile('stable', path, art, {
      sha256: '4d6e1c0a8ab8e0d45d3b8a1cb5f0c0f6d5d9fbd1c2e3f405d7f09fa2d39b7f5d'.replace(/./g, (c, k: number) =>
        k < 8 ? String(i % 10) : c,
      ),
      length: 4,
    });
    const m = plainManifest(version, 'stable', {
      'linux/amd64': { name: 'tiny-linux-amd64.tar.gz', path, sha256: 'a'.repeat(64), length: 4 },
    });
    await session.putData('stable', manifestPath('stable', version), JSON.stringify(m));
    index.releases.push(indexEntry(m, manifestPath('stable', version)));
  }
  await session.writeIndex(index, new Date());
  await session.commit(keys, new Date());
  const buildS = (performance.now() - t0) / 1000;
  const size = (p: string) => store.read(p).then((b) => b?.length ?? 0);
  const after = await FeedSession.open(store);
  const stableMeta = after.snapshot.signed.meta['stable.json']!;
  const roleBytes = await size(`metadata/${stableMeta.version}.stable.json`);
  const indexBytes = (await after.target('stable', 'stable/index.json'))!.length;
  let binBytes = 0;
  for (const b of await after.bins('stable'))
    binBytes = Math.max(binBytes, await size(`metadata/${after.snapshot.signed.meta[`${b}.json`]!.version}.${b}.json`));
  const { url, server } = await serveFeed({ dir: store.location });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const inst = mkdtempSync(join(tmpdir(), 'slipway-bench-instance-'));
    await mkdir(join(inst, 'metadata'));
    await copyFile(join(store.location, 'metadata', '1.root.json'), join(inst, 'metadata', 'root.json'));
    const t = performance.now();
    const client = new FeedClient({ url, metadataDir: join(inst, 'metadata'), scratchDir: join(inst, 'scratch') });
    const sel = selectUpdate([await client.index('stable')], '0.0.1');
    await client.manifest(sel.target!.manifest);
    times.push(performance.now() - t);
    rmSync(inst, { recursive: true, force: true });
  }
  await server.close();
  say(`\n### A feed holding ${releases} releases (built in ${buildS.toFixed(1)} s)\n`);
  say('| | |');
  say('| --- | --- |');
  say(`| stable role metadata (delegates to 64 hashed bins) | ${(roleBytes / 1024).toFixed(0)} KiB |`);
  say(`| largest stable bin (the targets whose path hash falls in it) | ${(binBytes / 1024).toFixed(0)} KiB |`);
  say(`| stable/index.json (what an instance reads to choose) | ${(indexBytes / 1024).toFixed(0)} KiB |`);
  say(
    `| timestamp.json / snapshot | ${await size('metadata/timestamp.json')} B / ${await size(`metadata/${after.snapshot.signed.version}.snapshot.json`)} B |`,
  );
  say(
    `| instance refresh (fresh root) + index + select + manifest, through tuf-js (median of 5) | ${median(times).toFixed(0)} ms (target: under 1 s) |`,
  );
}
rmSync(dir, { recursive: true, force: true });
writeFileSync(join(WORK, 'feed-results.md'), `${out.join('\n')}\n`);
