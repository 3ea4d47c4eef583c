// feed serve under the files changing beneath it (prune and garbage collection remove files while
// instances download), its start-up errors, and the README's nginx configuration run for real.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SlipwayError } from '../src/core/errors.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { freePort } from '../src/io/free-port.ts';
import { scratchRepo, spawnCli, tempDir } from './helpers.ts';

describe('feed serve while files vanish', () => {
  it('answers 200 or 404 while files are removed and re-created, never dies, and a large file opened before its removal is sent whole', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'targets'), { recursive: true });
    const big = Buffer.alloc(8 * 1024 * 1024, 7); // above the in-memory limit: streamed from disk
    const names = Array.from({ length: 8 }, (_, n) => `targets/${n}.bin`);
    for (const n of names) await writeFile(join(dir, n), n.endsWith('0.bin') ? big : `small ${n}`);
    const { url, server } = await serveFeed({ dir });
    after(() => server.close());
    let churn = true;
    const churner = (async () => {
      for (let i = 0; churn && i < 10_000; i++) {
        const n = names[i % names.length]!;
        await rm(join(dir, n), { force: true });
        // As the feed writes: a whole new file renamed into place.
        await writeFile(join(dir, `${n}.tmp`), n.endsWith('0.bin') ? big : `small ${n} ${i}`);
        await rename(join(dir, `${n}.tmp`), join(dir, n));
      }
    })();
    const statuses = new Map<number, number>();
    try {
      for (let i = 0; i < 300; i++) {
        const res = await fetch(`${url}/${names[i % names.length]}`);
        const body = Buffer.from(await res.arrayBuffer());
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status === 200 || res.status === 404, `status ${res.status}`);
        if (res.status === 200 && names[i % names.length]!.endsWith('0.bin')) assert.equal(body.length, big.length);
      }
    } finally {
      churn = false;
      await churner;
    }
    assert.ok((statuses.get(200) ?? 0) > 0, JSON.stringify([...statuses]));
    // Still up.
    assert.equal((await fetch(`${url}/targets/1.bin`)).status, 200);

    // A large file removed after its response began is still sent whole (the handle was open).
    const res = await fetch(`${url}/targets/0.bin`);
    await rm(join(dir, 'targets/0.bin'));
    assert.equal(Buffer.from(await res.arrayBuffer()).length, big.length);
    assert.equal((await fetch(`${url}/targets/0.bin`)).status, 404);
  });

  it('says what is wrong when the folder is missing or the port is taken', async () => {
    await assert.rejects(
      serveFeed({ dir: '/nonexistent/feed' }),
      (e: SlipwayError) => e.code === 'FEED_NOT_FOUND' && /no such folder/.test(e.message),
    );
    const port = await freePort();
    const holder = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    after(() => holder.close());
    await assert.rejects(
      serveFeed({ dir: await tempDir(), port }),
      (e: SlipwayError) => e.code === 'PORT_IN_USE' && e.message.includes(`127.0.0.1:${port}`),
    );
    // The command: a clear line and exit 1, no stack trace.
    const r = await spawnCli(['feed', 'serve', await tempDir(), '--port', String(port)]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /something else listens there/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

// Debian puts nginx in /usr/sbin, which a plain PATH may leave out.
const nginx = ['/usr/sbin/nginx', 'nginx'].find((n) => spawnSync(n, ['-v']).status === 0) ?? null;

describe(
  "the README's nginx configuration",
  { skip: nginx === null && 'nginx is not installed (apt-get install nginx-light)' },
  () => {
    it('loads (nginx -t), serves a feed that feed verify accepts, with the cache rules slipway feed serve gives', async () => {
      const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
      const snippet = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
      assert.ok(snippet, 'the README has an nginx block');
      const base = await tempDir();
      await chmod(base, 0o755); // nginx's workers run as another user
      const repo = await scratchRepo();
      await repo.commit('feat: first');
      const keys = join(base, 'keys');
      const feed = join(base, 'feed');
      const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };
      assert.equal((await spawnCli(['keys', 'init', '--keys', keys], { env })).status, 0);
      assert.equal((await spawnCli(['feed', 'init', '--keys', keys, '--feed', feed], { env })).status, 0);
      const port = await freePort();
      // The README's server block as written, but on loopback without TLS, inside a minimal nginx.conf.
      const server = snippet
        .replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`)
        .replace(/root \/srv\/feed;/, `root ${feed};`);
      assert.notEqual(server, snippet);
      const conf = join(base, 'nginx.conf');
      await writeFile(
        conf,
        `daemon off;\nworker_processes 1;\npid ${base}/nginx.pid;\nerror_log ${base}/error.log;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${base}/tmp;\n  proxy_temp_path ${base}/tmp;\n  fastcgi_temp_path ${base}/tmp;\n  uwsgi_temp_path ${base}/tmp;\n  scgi_temp_path ${base}/tmp;\n  types { application/json json; }\n${server}\n}\n`,
      );
      const test = spawnSync(nginx!, ['-t', '-c', conf, '-p', base], { encoding: 'utf8' });
      assert.equal(test.status, 0, test.stderr);
      const proc = spawn(nginx!, ['-c', conf, '-p', base], { stdio: 'ignore' });
      after(() => proc.kill('SIGTERM'));
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 100; i++) {
        if (
          await fetch(`${url}/metadata/timestamp.json`).then(
            () => true,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const verify = await spawnCli(['feed', 'verify', '--feed', feed, '--url', url, '--json'], { env });
      assert.equal(verify.status, 0, verify.stderr);
      const ts = await fetch(`${url}/metadata/timestamp.json`);
      assert.match(ts.headers.get('cache-control') ?? '', /max-age=60/);
      const versioned = await fetch(`${url}/metadata/1.root.json`);
      assert.match(versioned.headers.get('cache-control') ?? '', /immutable/);
    });
  },
);
