import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar';
import { buildBinaries, type Built } from '../scripts/build-binaries.ts';
import { createFeedKeys } from '../src/feed/feed-keys.ts';
import { initFeed } from '../src/feed/init.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { LocalStore } from '../src/feed/store.ts';
import { freePort } from '../src/io/free-port.ts';
import { SLIPWAY_VERSION } from '../src/io/package-info.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { scratchRepo, tempDir } from './helpers.ts';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with only `env` (async: this process serves the feed it talks to). */
function exec(file: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  return new Promise((done) => {
    execFile(file, args, { env, cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * An app that needs no Node: Python's HTTP server, with one SQLite migration (which the
 * executable runs in a child of itself).
 */
async function pythonApp(version: string, migrations: number, out: string): Promise<string> {
  const dir = await tempDir('py-app-');
  await mkdir(join(dir, 'migrations'));
  const sql = [
    '-- +goose Up\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE notes;\n',
    '-- +goose Up\nALTER TABLE notes ADD COLUMN body TEXT;\n-- +goose Down\nALTER TABLE notes DROP COLUMN body;\n',
  ];
  for (let n = 0; n < migrations; n++) await writeFile(join(dir, 'migrations', `0000${n + 1}_step.sql`), sql[n]!);
  await writeFile(join(dir, 'index.html'), `<p>app ${version}</p>\n`);
  await writeFile(
    join(dir, 'slipway.app.json'),
    JSON.stringify({
      name: 'pyapp',
      version,
      start: { command: ['python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1'], stopTimeout: '5s' },
      health: { url: 'http://127.0.0.1:{port}/index.html', successes: 2, interval: '200ms', timeout: '20s' },
      migrations: 'migrations',
    }),
  );
  await tar.c({ gzip: true, file: out, cwd: dir, portable: true }, ['slipway.app.json', 'index.html', 'migrations']);
  return out;
}

/** Slipway as one file per platform, run where no Node.js is installed (issue 14). */
describe('the single-file executables', () => {
  let built: Built[] = [];
  /** A PATH with the few tools a bare server has (and no node). */
  let bare: Record<string, string>;

  before(async () => {
    const out = await tempDir('slipway-bin-');
    built = await buildBinaries({ out });
    const bin = join(out, 'path');
    await mkdir(bin);
    for (const tool of ['sh', 'git', 'python3', 'tar']) await symlink(`/usr/bin/${tool}`, join(bin, tool));
    bare = { PATH: bin, HOME: out, LANG: 'C.UTF-8' };
  });

  it('builds linux/amd64 and linux/arm64 executables', async (t) => {
    assert.deepEqual(
      built.map((b) => b.arch),
      ['x64', 'arm64'],
    );
    for (const b of built) {
      assert.ok(b.bytes > 50 * 1048576 && b.gzipBytes < b.bytes);
      t.diagnostic(
        `${b.file}: ${(b.bytes / 1048576).toFixed(1)} MiB, ${(b.gzipBytes / 1048576).toFixed(1)} MiB gzipped`,
      );
    }
    const head = (await readFile(built[1]!.file)).subarray(0, 20);
    assert.equal(head.readUInt16LE(18), 183, 'the arm64 one is an AArch64 ELF (e_machine 183)');
  });

  it('runs the planning commands with no Node.js on PATH', async () => {
    const x64 = built[0]!.file;
    assert.notEqual((await exec('/usr/bin/env', ['sh', '-c', 'command -v node'], bare)).status, 0, 'no node on PATH');
    const v = await exec(x64, ['--version'], bare);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), `slipway v${SLIPWAY_VERSION}`);
    // Stamped with its build, and deaf to a NODE_OPTIONS meant for other apps' node.
    const stamped = await exec(x64, ['version', '--json'], {
      ...bare,
      NODE_OPTIONS: '--require /nonexistent/inject.js',
    });
    assert.equal(stamped.status, 0, stamped.stderr);
    const info = (JSON.parse(stamped.stdout) as { slipway: { build: string; commit: string } }).slipway;
    assert.match(info.build, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(info.commit, /^[0-9a-f]{40}$/);
    const repo = await scratchRepo();
    await repo.commit('chore: start', { 'package.json': '{"name":"x","version":"1.0.0"}\n' });
    await repo.git('tag', 'v1.0.0');
    await repo.commit('feat: a feature', { 'a.txt': 'a\n' });
    const next = await exec(x64, ['next', '--json'], bare, repo.dir);
    assert.equal(next.status, 0, next.stderr);
    assert.equal((JSON.parse(next.stdout) as { next: string }).next, '1.1.0');
    const bad = await exec(x64, ['next', '--channel', 'nope'], bare, repo.dir);
    assert.equal(bad.status, 2);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'a clear error, no stack trace');
  });

  it('installs, serves its page, migrates and updates an instance with no Node.js on PATH', async () => {
    const x64 = built[0]!.file;
    const dir = await tempDir('slipway-bin-feed-');
    const env = { SLIPWAY_KEY_PASSPHRASE: 'binary-test-passphrase' };
    const keys = await createFeedKeys(['stable'], { dir: join(dir, 'keys'), env });
    const store = new LocalStore(join(dir, 'feed'));
    await initFeed(store, keys, { now: new Date() });
    const { url, server } = await serveFeed({ dir: join(dir, 'feed') });
    after(() => server.close());
    const publish = async (version: string, migrations: number) =>
      publishRelease(store, keys, {
        version,
        channel: 'stable',
        files: [await pythonApp(version, migrations, join(dir, `pyapp-${version}.tar.gz`))],
        now: new Date(),
      });
    await publish('1.0.0', 1);
    await writeFile(join(dir, 'root.json'), (await store.read('metadata/1.root.json'))!);
    const root = join(dir, 'instance');
    const port = String(await freePort());
    const cli = (...args: string[]) => exec(x64, [...args, '--root', root], bare);

    const inst = await exec(
      x64,
      [
        'install',
        '--feed',
        url,
        '--channel',
        'stable',
        '--root',
        root,
        '--trusted-root',
        join(dir, 'root.json'),
        '--port',
        port,
        '--json',
      ],
      bare,
    );
    assert.equal(inst.status, 0, inst.stderr);
    assert.equal((JSON.parse(inst.stdout) as { to: string }).to, '1.0.0');

    await publish('1.1.0', 2);
    const up = await cli('update', '--json');
    assert.equal(up.status, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as { outcome: string }).outcome, 'updated');
    const doctor = await cli('doctor', '--json');
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: unknown; detail: string }[] }).checks;
    const schema = checks.find((c) => c.name === 'version and schema')!;
    assert.equal(schema.ok, true, schema.detail);
    assert.match(schema.detail, /1\.1\.0 installed; database schema 2/);
    assert.match(checks.find((c) => c.name === 'node')!.detail, /built into this executable/);

    // The agent serves the page from the executable's own assets.
    const agent = spawn(x64, ['agent', '--root', root], { env: bare, stdio: 'ignore' });
    after(() => void agent.kill('SIGKILL'));
    let api: { url: string } | null = null;
    for (let i = 0; i < 100 && !api; i++) {
      api = await readFile(join(root, 'state', 'api.json'), 'utf8')
        .then((t) => JSON.parse(t) as { url: string })
        .catch(() => null);
      if (!api) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(api, 'the agent wrote its API address');
    const page = await fetch(`${api.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Settings › Updates/);
    assert.match(await (await fetch(`${api.url}/banner.js`)).text(), /customElements\.define\('slipway-banner'/);
    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0, 'the agent stops cleanly on SIGTERM');
  });

  it('runs the arm64 executable under qemu-user', async () => {
    const arm = built[1]!.file;
    const qemu = (...args: string[]) =>
      exec('/usr/bin/qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', arm, ...args], bare);
    const v = await qemu('--version');
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), `slipway v${SLIPWAY_VERSION}`);
    const schema = await qemu('schema', '--agent');
    assert.equal(schema.status, 0, schema.stderr);
    assert.equal(
      (JSON.parse(schema.stdout) as { title: string }).title,
      "Slipway agent settings (an install root's agent.json)",
    );
  });
});
