import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import semver from 'semver';
import * as tar from 'tar';
import { buildBinaries, type Built } from '../scripts/build-binaries.ts';
import { createFeedKeys } from '../src/feed/feed-keys.ts';
import { initFeed } from '../src/feed/init.ts';
import { serveFeed } from '../src/feed/serve.ts';
import { LocalStore } from '../src/feed/store.ts';
import { freePort } from '../src/io/free-port.ts';
import { SLIPWAY_VERSION } from '../src/io/package-info.ts';
import { publishRelease } from '../src/release/publish-release.ts';
import { publishAgent } from '../src/release/publish-agent.ts';
import { publishTarget } from '../src/release/publishers.ts';
import { parseConfig } from '../src/core/config/parse.ts';
import { writeInstallScript } from '../src/release/install-script.ts';
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

/** Where a tool is on this machine's PATH. */
async function which(tool: string): Promise<string | null> {
  const r = await exec('/bin/sh', ['-c', 'command -v "$1"', 'sh', tool], {
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** A folder of the tools a bare server has (bash, curl, tar, sha256sum, coreutils, python3 for the app), and no node. */
async function bareServerTools(dir: string, more: string[] = []): Promise<string> {
  const tools = join(dir, 'tools');
  await mkdir(tools);
  const base = [
    'bash',
    'sh',
    'curl',
    'tar',
    'gzip',
    'sha256sum',
    'mktemp',
    'id',
    'uname',
    'cut',
    'chmod',
    'mkdir',
    'rm',
    'cat',
    'python3',
  ];
  for (const tool of [...base, ...more]) await symlink((await which(tool))!, join(tools, tool));
  return tools;
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

  it('installs, serves its page (also lean, when idle), migrates and updates an instance with no Node.js on PATH', async () => {
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
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.equal((JSON.parse(up.stdout) as { outcome: string }).outcome, 'updated');
    const doctor = await cli('doctor', '--json');
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: unknown; detail: string }[] }).checks;
    const schema = checks.find((c) => c.name === 'version and schema')!;
    assert.equal(schema.ok, true, schema.detail);
    assert.match(schema.detail, /1\.1\.0 installed; database schema 2/);
    assert.match(checks.find((c) => c.name === 'node')!.detail, /built into this executable/);

    // The agent serves the page from the executable's own assets.
    const agent = spawn(x64, ['agent', '--root', root], {
      env: { ...bare, SLIPWAY_AGENT_LEAN_AFTER_MS: '1000', SLIPWAY_SEA_CODE_CACHE: 'report' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    after(() => void agent.kill('SIGKILL'));
    let log = '';
    agent.stderr.on('data', (d: Buffer) => (log += d.toString()));
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

    // Idle, it re-executes itself into the executable's small lean script (not the CLI), which
    // serves the page from the same assets and wakes the full agent at the first API call.
    let lean: { url: string; pid: number; lean?: boolean } | null = null;
    for (let i = 0; i < 300 && !lean?.lean; i++) {
      lean = await readFile(join(root, 'state', 'api.json'), 'utf8')
        .then((t) => JSON.parse(t) as { url: string; pid: number; lean?: boolean })
        .catch(() => null);
      if (!lean?.lean) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(lean?.lean, true, `the agent went lean\n${log}`);
    assert.equal(lean.pid, agent.pid, 'the same process, re-executed');
    assert.match(
      log,
      /code cache \(cli\): used[\s\S]*code cache \(lean\): used/,
      'each script runs with its code cache',
    );
    const leanPage = await fetch(`${lean.url}/`);
    assert.equal(leanPage.status, 200);
    assert.match(await leanPage.text(), /Settings › Updates/);
    const st = await cli('status', '--json');
    assert.equal(st.status, 0, st.stderr);
    assert.deepEqual((JSON.parse(st.stdout) as { agent: { running: boolean; pid: number } }).agent.pid, agent.pid);
    assert.match(await readFile(join(root, 'state', 'agent.log'), 'utf8'), /waking the full agent: GET \/api\/status/);

    // Nothing on stderr but what Slipway says (no warnings of the runtime's).
    assert.doesNotMatch(`${inst.stderr}${up.stderr}${doctor.stderr}${st.stderr}${log}`, /Warning/);

    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0, 'the agent stops cleanly on SIGTERM');
  });

  it('installs from curl … | bash on a machine without Node: executable pinned and verified through TUF, system user, service or the command by hand, upgrades when run again', async (t) => {
    const dir = await tempDir('slipway-sh-');
    const env = { SLIPWAY_KEY_PASSPHRASE: 'binary-test-passphrase' };
    const keys = await createFeedKeys(['beta', 'stable'], { dir: join(dir, 'keys'), env });
    const feedDir = join(dir, 'feed');
    const store = new LocalStore(feedDir);
    await initFeed(store, keys, { now: new Date() });
    const { url, server } = await serveFeed({ dir: feedDir });
    after(() => server.close());
    const publish = async (version: string) =>
      publishRelease(store, keys, {
        version,
        channel: 'stable',
        files: [await pythonApp(version, 1, join(dir, `pyapp-${version}.tar.gz`))],
        now: new Date(),
      });
    await publish('1.0.0');
    // Slipway releases itself into the app's feed: its executables as the channel's `slipway` target.
    const pub = await publishAgent(store, keys, {
      version: SLIPWAY_VERSION,
      channel: 'stable',
      files: built.map((b) => b.file),
      now: new Date(),
    });
    assert.equal(pub.outcome, 'published');
    assert.deepEqual(Object.keys(pub.release!.artifacts).sort(), ['linux/amd64', 'linux/arm64']);
    const script = await writeInstallScript(store, { url, app: 'pyapp' });
    assert.equal(script.agents.length, 2);

    // A bare server: bash, curl, tar (gzip), sha256sum and coreutils; no node.
    const tools = await bareServerTools(dir, ['useradd', 'chown']);
    // install.sh's downloads go to mktemp's TMPDIR, which must be left empty whatever the outcome.
    const scratch = join(dir, 'tmp');
    await mkdir(scratch, { mode: 0o1777 });
    await exec('/usr/bin/chmod', ['1777', scratch], {});
    const shEnv = (extra: Record<string, string> = {}) => ({
      PATH: tools,
      HOME: dir,
      LANG: 'C.UTF-8',
      TMPDIR: scratch,
      ...extra,
    });
    const viaCurl = (args: string, e = shEnv(), from = url) =>
      exec(join(tools, 'bash'), ['-c', `set -o pipefail; curl -fsSL "${from}/install.sh" | bash -s -- ${args}`], e);

    const help = await viaCurl('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--channel=NAME[\s\S]*--root=DIR[\s\S]*--no-service/);

    const root = join(dir, 'opt', 'pyapp');
    const port = String(await freePort());
    const user = `sw${process.pid % 100000}`;
    after(() => exec('/usr/sbin/userdel', [user], {}).then(() => undefined));
    // A folder that already holds someone's files: they keep their owner.
    await mkdir(join(root, 'precious'), { recursive: true });
    await writeFile(join(root, 'precious', 'file'), 'secret\n', { mode: 0o600 });
    const first = await viaCurl(`--root=${root} --port=${port} --user=${user}`);
    assert.equal(first.status, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /installed 1\.0\.0/);
    assert.match(first.stdout, new RegExp(`Slipway ${SLIPWAY_VERSION.replace(/\./g, '\\.')} is .*/bin/slipway`));
    assert.match(first.stdout, /a new system user/);
    // No systemd in this container: the unit is not written, the command to run is printed.
    assert.match(
      first.stdout,
      new RegExp(`systemd is not running here[\\s\\S]*runuser -u ${user} -- \\S*bin/slipway agent --root`),
    );
    assert.equal((await stat(join(root, 'precious', 'file'))).uid, 0, 'what was there before keeps its owner');
    assert.deepEqual(await readdir(scratch), [], 'install.sh leaves no downloads behind');
    const linked = join(root, 'bin', 'slipway');
    assert.equal(await readlink(linked), `../agent/${SLIPWAY_VERSION}/slipway`);
    const owner = (await stat(join(root, 'agent.json'))).uid;
    assert.equal(
      String(owner),
      (await exec('/usr/bin/id', ['-u', user], {})).stdout.trim(),
      "the root is the system user's",
    );
    const v = await exec(linked, ['--version'], shEnv());
    assert.equal(v.stdout.trim(), `slipway v${SLIPWAY_VERSION}`);

    // Run again after a new release: upgraded in place, same settings.
    await publish('1.1.0');
    // Run again without --user: the root keeps the user it has (no new one), another --user is refused.
    const again = await viaCurl(`--root=${root} --port=${port}`);
    assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /upgraded .* from 1\.0\.0 to 1\.1\.0/);
    assert.match(again.stdout, new RegExp(`the agent runs as ${user}\n`));
    const otherUser = await viaCurl(`--root=${root} --port=${port} --user=someone`);
    assert.equal(otherUser.status, 2);
    assert.match(otherUser.stderr, new RegExp(`installed already for the user ${user}, not someone`));
    const status = JSON.parse((await exec(linked, ['status', '--root', root, '--json'], shEnv())).stdout) as {
      current: string;
    };
    assert.equal(status.current, '1.1.0');

    // Not root: the default root is per-user.
    const home = join(dir, 'home-nobody');
    await mkdir(home);
    await exec('/usr/bin/chown', ['65534:65534', home], {});
    await exec('/usr/bin/chmod', ['755', dir], {});
    const asNobody = (args: string, from = url) =>
      exec(
        '/usr/bin/setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          join(tools, 'bash'),
          '-c',
          `set -o pipefail; curl -fsSL "${from}/install.sh" | bash -s -- ${args}`,
        ],
        shEnv({ HOME: home }),
      );
    const userPort = String(await freePort());
    // (--port VALUE, as a person types it, the same as --port=VALUE.)
    const mine = await asNobody(`--port ${userPort} --no-service`);
    assert.equal(mine.status, 0, `${mine.stdout}\n${mine.stderr}`);
    assert.match(mine.stdout, /start the agent with: .*\.local\/share\/pyapp\/bin\/slipway agent --root/);
    assert.equal((await stat(join(home, '.local', 'share', 'pyapp', 'agent.json'))).uid, 65534);

    // Bad input: each a clear message, a non-zero exit and nothing installed.
    const untouched = async (where: string) =>
      assert.equal(
        await stat(where).then(
          () => 'exists',
          () => 'absent',
        ),
        'absent',
        `${where} was not created`,
      );
    for (const [args, said] of [
      ['--root= --no-service', /--root needs a value, got an empty one/],
      ['--no-service --port', /--port needs a value/],
      ['--channel= --no-service', /--channel needs a value/],
    ] as const) {
      const empty = await asNobody(args);
      assert.equal(empty.status, 2, `${args}: ${empty.stderr}`);
      assert.match(empty.stderr, said);
    }
    const notWritable = await asNobody('--root=/root/pyapp --no-service');
    assert.equal(notWritable.status, 2, notWritable.stderr);
    assert.match(notWritable.stderr, /cannot write the install root \/root\/pyapp \(EACCES\)/);
    const fakeArch = join(dir, 'fake-arch');
    await mkdir(fakeArch);
    await writeFile(join(fakeArch, 'uname'), '#!/bin/sh\n[ "$1" = -m ] && echo riscv64 || echo Linux\n', {
      mode: 0o755,
    });
    const arch = await viaCurl(`--root=${join(dir, 'riscv')} --user=${user}`, shEnv({ PATH: `${fakeArch}:${tools}` }));
    assert.equal(arch.status, 1);
    assert.match(arch.stderr, /no Slipway executable for this machine's architecture \(riscv64\); there are: amd64/);
    await untouched(join(dir, 'riscv'));
    // A mirror whose executable is not the pinned one.
    const mirrorDir = join(dir, 'mirror');
    await cp(feedDir, mirrorDir, { recursive: true });
    const blob = script.agents.find((a) => a.arch === 'amd64')!;
    const cut = blob.path.lastIndexOf('/');
    await writeFile(
      join(mirrorDir, 'targets', blob.path.slice(0, cut), `${blob.sha256}.${blob.path.slice(cut + 1)}`),
      'not slipway',
    );
    const mirror = await serveFeed({ dir: mirrorDir });
    after(() => mirror.server.close());
    // The pinned script, served by the mirror and pointed at it.
    await writeFile(join(mirrorDir, 'install.sh'), script.script.replaceAll(url, mirror.url));
    const tampered = await viaCurl(`--root=${join(dir, 'tampered')} --user=${user}`, shEnv(), mirror.url);
    assert.equal(tampered.status, 1, `${tampered.stdout}\n${tampered.stderr}`);
    assert.match(
      tampered.stderr,
      /the Slipway executable has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; refusing to install/,
    );
    await untouched(join(dir, 'tampered'));
    // A mirror that serves another root (a server of its own: metadata files never change, so a server may cache them).
    const otherDir = join(dir, 'other');
    await cp(feedDir, otherDir, { recursive: true });
    await writeFile(join(otherDir, 'metadata', '1.root.json'), '{"signed": {"_type": "root"}, "signatures": []}');
    const other = await serveFeed({ dir: otherDir });
    after(() => other.server.close());
    await writeFile(join(otherDir, 'install.sh'), script.script.replaceAll(url, other.url));
    const otherRoot = await viaCurl(`--root=${join(dir, 'other-root')} --user=${user}`, shEnv(), other.url);
    assert.equal(otherRoot.status, 1);
    assert.match(
      otherRoot.stderr,
      /the feed's root\.json has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; refusing to install/,
    );
    await untouched(join(dir, 'other-root'));
    // The feed unreachable: install.sh itself fetched from where it is, the feed gone.
    await writeFile(
      join(dir, 'unreachable.sh'),
      (await readFile(join(feedDir, 'install.sh'), 'utf8')).replaceAll(url, 'http://127.0.0.1:9'),
    );
    const gone = await exec(
      join(tools, 'bash'),
      [join(dir, 'unreachable.sh'), `--root=${join(dir, 'gone')}`, `--user=${user}`],
      shEnv(),
    );
    assert.equal(gone.status, 1);
    assert.match(
      gone.stderr,
      /cannot download http:\/\/127\.0\.0\.1:9\/metadata\/1\.root\.json: is the feed reachable/,
    );
    await untouched(join(dir, 'gone'));

    // A feed that accepts the connection and never answers: given up (curl's stall limit), not waited on forever.
    const held: Socket[] = [];
    const silent = createTcpServer((socket) => void held.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await writeFile(
        join(dir, 'silent.sh'),
        (await readFile(join(feedDir, 'install.sh'), 'utf8')).replaceAll(url, silentUrl),
      );
      const mute = await exec(
        join(tools, 'bash'),
        [join(dir, 'silent.sh'), `--root=${join(dir, 'mute')}`, `--user=${user}`],
        shEnv(),
      );
      assert.equal(mute.status, 1, mute.stderr);
      assert.match(
        mute.stderr,
        /cannot download http:\/\/127\.0\.0\.1:\d+\/metadata\/1\.root\.json: is the feed reachable/,
      );
      await untouched(join(dir, 'mute'));
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
    // A TMPDIR on a file system mounted noexec (a hardened /tmp): said so, with the way out.
    const noexec = join(dir, 'noexec');
    await mkdir(noexec);
    const mounted = await exec(
      '/usr/bin/mount',
      ['-t', 'tmpfs', '-o', 'noexec,size=300m,mode=1777', 'tmpfs', noexec],
      {},
    );
    if (mounted.status !== 0)
      t.diagnostic(`noexec TMPDIR not tried: cannot mount a tmpfs here (${mounted.stderr.trim()})`);
    else
      try {
        const r = await viaCurl(`--root=${join(dir, 'noexec-root')} --user=${user}`, shEnv({ TMPDIR: noexec }));
        assert.equal(r.status, 1, r.stderr);
        assert.match(
          r.stderr,
          /cannot run programs from \S+ \(is its file system mounted noexec\?\): run again with TMPDIR set/,
        );
        await untouched(join(dir, 'noexec-root'));
        assert.deepEqual(await readdir(noexec), [], 'nothing left in TMPDIR');
      } finally {
        await exec('/usr/bin/umount', [noexec], {});
      }
    t.diagnostic(`install.sh: ${(await stat(join(feedDir, 'install.sh'))).size} bytes`);
  });

  it('updates its own executable: verified, tried, switched and re-executed in the same process while the app keeps serving; a broken one is refused', async (t) => {
    const next = semver.inc(SLIPWAY_VERSION, 'patch')!;
    const [nextBuilt] = await buildBinaries({ out: await tempDir('slipway-next-'), arches: ['x64'], version: next });
    const dir = await tempDir('slipway-self-');
    await exec('/usr/bin/chmod', ['755', dir], {});
    const env = { SLIPWAY_KEY_PASSPHRASE: 'binary-test-passphrase' };
    const keys = await createFeedKeys(['stable'], { dir: join(dir, 'keys'), env });
    const feedDir = join(dir, 'feed');
    const store = new LocalStore(feedDir);
    await initFeed(store, keys, { now: new Date() });
    const { url, server } = await serveFeed({ dir: feedDir });
    after(() => server.close());
    await publishRelease(store, keys, {
      version: '1.0.0',
      channel: 'stable',
      files: [await pythonApp('1.0.0', 1, join(dir, 'pyapp-1.0.0.tar.gz'))],
      now: new Date(),
    });
    await publishAgent(store, keys, {
      version: SLIPWAY_VERSION,
      channel: 'stable',
      files: [built[0]!.file],
      now: new Date(),
    });
    await writeInstallScript(store, { url, app: 'pyapp' });
    const tools = await bareServerTools(dir);
    const home = join(dir, 'home');
    await mkdir(home);
    await exec('/usr/bin/chown', ['65534:65534', home], {});
    const e = { PATH: tools, HOME: home, LANG: 'C.UTF-8' };
    const asNobody = (file: string, args: string[]) =>
      exec('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...args], e);
    const port = await freePort();
    const inst = await asNobody(join(tools, 'bash'), [
      '-c',
      `set -o pipefail; curl -fsSL "${url}/install.sh" | bash -s -- --port=${port} --no-service`,
    ]);
    assert.equal(inst.status, 0, `${inst.stdout}\n${inst.stderr}`);
    const root = join(home, '.local', 'share', 'pyapp');
    const bin = join(root, 'bin', 'slipway');

    // Idle for a second, it goes lean: the self-update below races its going lean (the switch wins).
    const agent = spawn(
      '/usr/bin/setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', bin, 'agent', '--root', root],
      { env: { ...e, SLIPWAY_AGENT_LEAN_AFTER_MS: '1000' }, stdio: 'ignore' },
    );
    after(async () => {
      agent.kill('SIGKILL');
      // A test that failed midway leaves the app (its own process group) behind the killed agent.
      const app = Number((await readFile(join(root, 'state', 'app.pid'), 'utf8').catch(() => '')).trim());
      if (app > 0)
        try {
          process.kill(-app, 'SIGKILL');
        } catch {
          // gone already
        }
    });
    const token = async () => (await readFile(join(root, 'state', 'token'), 'utf8')).trim();
    const status = async (): Promise<{ slipway: string; agent: { pid: number } } | null> => {
      const api = await readFile(join(root, 'state', 'api.json'), 'utf8')
        .then((x) => JSON.parse(x) as { url: string })
        .catch(() => null);
      if (!api) return null;
      // As a client would: a lean agent answers 503 with Retry-After while the full one starts.
      for (let i = 0; i < 60; i++) {
        const r = await fetch(`${api.url}/api/status`, { headers: { authorization: `Bearer ${await token()}` } }).catch(
          () => null,
        );
        if (r?.status !== 503) return r?.ok ? ((await r.json()) as { slipway: string; agent: { pid: number } }) : null;
        await r.arrayBuffer();
        await new Promise((done) => setTimeout(done, 250));
      }
      return null;
    };
    const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>): Promise<T> => {
      for (let i = 0; i < 300; i++) {
        const v = await f();
        if (v) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const appUp = async () => (await fetch(`http://127.0.0.1:${port}/index.html`).catch(() => null))?.ok === true;
    await until('the agent', status);
    await until('the app', appUp);
    const appPid = (await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim();
    const apiInfo = () =>
      readFile(join(root, 'state', 'api.json'), 'utf8')
        .then((x) => JSON.parse(x) as { url: string; lean?: boolean })
        .catch(() => null);
    const apiUrl = (await apiInfo())!.url;
    await until('the lean agent', async () => (await apiInfo())?.lean);

    // The app is asked every 50 ms while the agent replaces itself.
    let asked = 0;
    let failed = 0;
    const why: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        asked++;
        const r = await fetch(`http://127.0.0.1:${port}/index.html`).then(
          (x) => (x.ok ? null : `HTTP ${x.status}`),
          (e: Error) => `${e.message}: ${(e.cause as Error | undefined)?.message ?? ''}`,
        );
        if (r !== null) {
          failed++;
          why.push(`${new Date().toISOString()} ${r}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await publishAgent(store, keys, { version: next, channel: 'stable', files: [nextBuilt!.file], now: new Date() });
    const su = await asNobody(bin, ['self-update', '--root', root, '--json']);
    assert.equal(su.status, 0, su.stderr);
    assert.deepEqual(
      (({ outcome, to }) => ({ outcome, to }))(JSON.parse(su.stdout) as { outcome: string; to: string }),
      { outcome: 'switching', to: next },
    );
    const after1 = await until('the new agent', async () => {
      const s = await status();
      return s?.slipway === next ? s : null;
    });
    await until(
      'the switch to be proved',
      async () => !(await stat(join(root, 'state', 'agent-switch.json')).catch(() => null)),
    );
    watching = false;
    await watch;
    t.diagnostic(`the app answered ${asked - failed} of ${asked} requests during the self-update`);
    assert.equal(
      failed,
      0,
      `the app never stopped serving: ${why.join('; ')}\n${await readFile(join(root, 'state', 'agent.log'), 'utf8')}`,
    );
    assert.equal(after1.agent.pid, agent.pid, 'the same process, re-executed');
    assert.equal((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim(), appPid, 'the same app process');
    assert.equal(await readlink(bin), `../agent/${next}/slipway`);
    const self = JSON.parse(await readFile(join(root, 'state', 'self-update.json'), 'utf8')) as {
      previous: string;
      last: { outcome: string };
    };
    assert.equal(self.previous, SLIPWAY_VERSION);
    assert.equal(self.last.outcome, 'updated');
    // Lean again, on the new executable (the switch was not lost to going lean).
    const newLean = await until('the new agent lean', async () => ((await apiInfo())?.lean ? await apiInfo() : null));
    assert.equal(newLean.url, apiUrl, 'the API (and the page) kept its address across the self-update');
    assert.equal(await readlink(join('/proc', String(agent.pid), 'exe')), join(root, 'agent', next, 'slipway'));
    assert.doesNotMatch(await readFile(join(root, 'state', 'agent.log'), 'utf8'), /started instead of/);

    // install.sh run again while the agent runs: the agent applies the app's update itself.
    await publishRelease(store, keys, {
      version: '1.1.0',
      channel: 'stable',
      files: [await pythonApp('1.1.0', 1, join(dir, 'pyapp-1.1.0.tar.gz'))],
      now: new Date(),
    });
    await writeInstallScript(store, { url, app: 'pyapp' });
    const rerun = await asNobody(join(tools, 'bash'), [
      '-c',
      `set -o pipefail; curl -fsSL "${url}/install.sh" | bash -s -- --port=${port} --no-service`,
    ]);
    assert.equal(rerun.status, 0, `${rerun.stdout}\n${rerun.stderr}`);
    assert.match(rerun.stdout, /upgraded .* from 1\.0\.0 to 1\.1\.0/);
    assert.match(rerun.stdout, new RegExp(`the agent \\(pid ${agent.pid}\\) runs .* already`));
    assert.doesNotMatch(rerun.stdout, /start the agent with/);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text(), /app 1\.1\.0/);
    assert.equal((await status())?.agent.pid, agent.pid, 'the same agent runs it');

    // An executable that does not run (an ELF, with a build record, that exits 1): tried, refused, not switched to.
    const broken = semver.inc(next, 'patch')!;
    const brokenFile = join(dir, 'slipway-linux-x64');
    await writeFile(
      brokenFile,
      Buffer.concat([
        await readFile('/usr/bin/false'),
        Buffer.from(JSON.stringify({ slipway: broken, build: '2026-12-02T00:00:00Z', commit: 'b'.repeat(40) })),
      ]),
      { mode: 0o755 },
    );
    await publishAgent(store, keys, { version: broken, channel: 'stable', files: [brokenFile], now: new Date() });
    const refused = await asNobody(bin, ['self-update', '--root', root, '--json']);
    assert.equal(refused.status, 1, refused.stdout);
    const r = JSON.parse(refused.stdout) as { outcome: string; reason: string };
    assert.equal(r.outcome, 'failed');
    assert.match(r.reason, /--version failed/);
    assert.equal((await status())?.slipway, next, 'still the working executable');
    assert.equal(await readlink(bin), `../agent/${next}/slipway`);
    assert.ok(await appUp());
    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(await appUp(), false, 'the adopted app is stopped with the agent');
  });

  it("Slipway's own release strategy (slipway.json) builds these executables and publishes them to a feed as its slipway target", async () => {
    const repo = join(import.meta.dirname, '..');
    const config = parseConfig(await readFile(join(repo, 'slipway.json'), 'utf8'));
    const build = config.release.build;
    assert.deepEqual(
      build.map((b) => b.run),
      [['npm', 'run', 'build:binaries']],
      'the release builds with the script this suite builds with (buildBinaries)',
    );
    assert.deepEqual(
      build.flatMap((b) => b.artifacts),
      ['dist/bin/slipway-linux-x64', 'dist/bin/slipway-linux-arm64'],
    );
    const target = config.release.publish.find((t) => typeof t === 'object' && t.type === 'command');
    assert.ok(target, 'a publish command');
    const dir = await tempDir('slipway-own-release-');
    const passphrase = 'own-release-passphrase';
    const keys = await createFeedKeys(['stable'], {
      dir: join(dir, 'keys'),
      env: { SLIPWAY_KEY_PASSPHRASE: passphrase },
    });
    await initFeed(new LocalStore(join(dir, 'feed')), keys, { now: new Date() });
    // The publish step exactly as `slipway release` runs it (its child gets this environment).
    const saved = { ...process.env };
    Object.assign(process.env, {
      SLIPWAY_SELF_FEED: join(dir, 'feed'),
      SLIPWAY_SELF_KEYS: join(dir, 'keys'),
      SLIPWAY_KEY_PASSPHRASE: passphrase,
    });
    let out;
    try {
      out = await publishTarget(target, {
        root: repo,
        config,
        env: process.env,
        version: SLIPWAY_VERSION,
        tag: `v${SLIPWAY_VERSION}`,
        channel: 'stable',
        commit: null,
        artifacts: built.map((b) => b.file),
        notes: '',
        now: new Date(),
        allow: null,
        dryRun: false,
      });
    } finally {
      for (const k of ['SLIPWAY_SELF_FEED', 'SLIPWAY_SELF_KEYS', 'SLIPWAY_KEY_PASSPHRASE'])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
    assert.equal(out.outcome, 'published', out.detail);
    const status = await exec(
      process.execPath,
      [join(repo, 'src', 'cli', 'bin.ts'), 'feed', 'status', '--feed', join(dir, 'feed'), '--json'],
      { PATH: process.env.PATH ?? '' },
    );
    assert.equal(status.status, 0, status.stderr);
    const stable = (JSON.parse(status.stdout) as { channels: { channel: string; agent: string[] }[] }).channels.find(
      (c) => c.channel === 'stable',
    );
    assert.deepEqual(stable?.agent, [SLIPWAY_VERSION], `the feed carries Slipway ${SLIPWAY_VERSION}`);
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
