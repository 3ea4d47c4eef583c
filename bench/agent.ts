// The agent, measured:
//   1. fetching a 1 GiB update from a feed served on 127.0.0.1 (`slipway feed serve`): Slipway
//      (tuf-js: metadata, index, manifest, download, hash check) against `curl` + `sha256sum` of
//      the same file from the same server, with Slipway's peak RSS;
//   2. for the sample app: time from "apply" to a healthy new version, and from a failed health
//      check to rolled back.
//
//   node bench/agent.ts [MiB=1024] [runs=5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishRelease } from '../src/release/publish-release.ts';
import { install } from '../src/agent/install.ts';
import { Instance } from '../src/agent/instance.ts';
import { stopStray } from '../src/agent/app-process.ts';
import { Layout } from '../src/agent/layout.ts';
import { buildSampleRelease } from '../src/testing/sample-app.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { bigFile, median, newFeed, reporter, WORK } from './lib/feed-setup.ts';

const [mib = 1024, runs = 5] = process.argv.slice(2).map(Number);
const SLIPWAY = join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');
const { say, lines: out } = reporter();
mkdirSync(WORK, { recursive: true });
const dir = mkdtempSync(join(WORK, 'agent-'));

{
  const file = await bigFile(mib);
  const { store, keys } = await newFeed(join(dir, 'big'));
  const published = await publishRelease(store, keys, {
    version: '1.0.0',
    channel: 'stable',
    files: [file],
    now: new Date(),
    unchecked: true, // random bytes: only the download is measured
  });
  const art = published.targets[0]!;
  const rootFile = join(dir, 'root.json');
  writeFileSync(rootFile, (await store.read('metadata/1.root.json'))!);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [SLIPWAY, 'feed', 'serve', store.location, '--port', String(port), '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => server.stdout.once('data', r));
  const url = `http://127.0.0.1:${port}`;
  const curl: number[] = [];
  const ours: { ms: number; maxRssKiB: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const target = join(dir, 'curl.bin');
    const t = performance.now();
    const c = spawnSync('curl', ['-sf', '-o', target, `${url}/targets/stable/1.0.0/${art.sha256}.${art.name}`]);
    const s = spawnSync('sha256sum', [target], { encoding: 'utf8' });
    curl.push(performance.now() - t);
    if (c.status !== 0 || !s.stdout.startsWith(art.sha256)) throw new Error('curl + sha256sum failed');
    rmSync(target);
    const work = join(dir, `instance-${i}`);
    const r = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'lib', 'download-child.ts'), url, rootFile, work],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    ours.push(JSON.parse(r.stdout) as { ms: number; maxRssKiB: number });
    rmSync(work, { recursive: true, force: true });
  }
  server.kill('SIGTERM');
  const a = median(ours.map((o) => o.ms));
  const b = median(curl);
  const gib = mib / 1024;
  say(`\n### Fetching a ${mib} MiB update from 127.0.0.1 (median of 3)\n`);
  say('| | time | throughput | vs curl + sha256sum |');
  say('| --- | --- | --- | --- |');
  say(`| curl + sha256sum | ${(b / 1000).toFixed(2)} s | ${(gib / (b / 1000)).toFixed(2)} GiB/s | 1.00x |`);
  say(
    `| Slipway (tuf-js: metadata, index, manifest, download, verify) | ${(a / 1000).toFixed(2)} s | ${(gib / (a / 1000)).toFixed(2)} GiB/s | ${(b / a).toFixed(2)}x |`,
  );
  say(
    `\nPeak RSS of the fetching process: ${Math.round(Math.max(...ours.map((o) => o.maxRssKiB)) / 1024)} MB (targets: at least 0.8x, under 200 MB).`,
  );
}

{
  const { store, keys } = await newFeed(join(dir, 'sample'));
  const { url, server } = await serveFeed({ dir: store.location });
  const rootFile = join(dir, 'sample-root.json');
  writeFileSync(rootFile, (await store.read('metadata/1.root.json'))!);
  const rel = async (version: string, schema: number, broken = false) => {
    mkdirSync(join(dir, 'b', version), { recursive: true });
    const f = await buildSampleRelease({
      version,
      schema,
      configVersion: schema > 1 ? 2 : 1,
      broken,
      out: join(dir, 'b', version, 'sample-any.tar.gz'),
    });
    await publishRelease(store, keys, { version, channel: 'stable', files: [f], now: new Date() });
  };
  await rel('1.0.0', 1);
  await rel('2.0.0', 3);
  await rel('3.0.0', 3, true);
  const apply: number[] = [];
  const back: number[] = [];
  for (let i = 0; i < runs; i++) {
    const root = join(dir, `root-${i}`);
    await install({
      root,
      feed: url,
      channel: 'stable',
      trustedRoot: rootFile,
      port: 21000 + Math.floor(Math.random() * 20000),
      version: '1.0.0',
    });
    const inst = await Instance.open(root);
    await inst.update({ version: '2.0.0' }); // download and stage outside the measurement? No: measure apply alone below.
    await inst.rollback({ version: '1.0.0' });
    // Staged already: this update is migrations (3) + switch + start + health check + commit.
    const up = await inst.update({ version: '2.0.0' });
    apply.push(up.ms);
    const failed = await inst.update({ version: '3.0.0' });
    const h = (await inst.history()).at(-1) as { rollbackMs?: number };
    if (failed.outcome !== 'rolled-back' || h.rollbackMs === undefined)
      throw new Error(`expected a rollback, got ${failed.outcome}`);
    back.push(h.rollbackMs);
    await stopStray(new Layout(root).appPid);
  }
  await server.close();
  say(`\n### The sample app (median of ${runs})\n`);
  say('| | time |');
  say('| --- | --- |');
  say(
    `| "apply" to healthy new version (3 migrations, switch, start, 2 good health probes 100 ms apart, commit) | ${median(apply).toFixed(0)} ms |`,
  );
  say(
    `| failed health check to rolled back (stop, migrations down, switch back, start, healthy) | ${median(back).toFixed(0)} ms |`,
  );
}
rmSync(dir, { recursive: true, force: true });
writeFileSync(join(WORK, 'agent-results.md'), `${out.join('\n')}\n`);
