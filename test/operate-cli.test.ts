import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, installRoot, sampleFeed } from './agent-helpers.ts';
import { runCli } from './helpers.ts';

describe('operator commands without an agent running', () => {
  it('install, update check, update --version, config, doctor, history, version, rollback', async () => {
    const feed = await sampleFeed();
    await feed.release(
      { version: '0.4.1', schema: 1 },
      { commit: 'abc1234def5678abc1234def5678abc1234def56', buildTime: '2026-02-06T14:00:00Z' },
    );
    const root = await installRoot();
    const port = String(await freePort());
    const cli = (...args: string[]) => runCli([...args, '--root', root]);

    let r = await runCli([
      'install',
      '--feed',
      feed.url,
      '--channel',
      'stable',
      '--root',
      root,
      '--trusted-root',
      feed.rootFile,
      '--port',
      port,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { to: string }).to, '0.4.1');

    r = await cli('version');
    assert.match(
      r.stdout,
      /^slipway v0\.1\.0 \(stable\) build \S+ commit \S+\nsample v0\.4\.1 \(stable\) build 2026-02-06T14:00:00Z commit abc1234\n$/,
    );

    await feed.release({ version: '0.4.2', schema: 2 }, { notes: '## Fixed\n- a crash on start\n' });
    await feed.release(
      { version: '0.4.3', schema: 2 },
      { security: { severity: 'critical', advisory: 'CVE-2026-9999' } },
    );
    r = await cli('update', 'check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /0\.4\.1 on stable\navailable: 0\.4\.3 {2}SECURITY \(critical\)/);
    r = await cli('update', 'check', '--json');
    assert.equal((JSON.parse(r.stdout) as { selection: { security: string } }).selection.security, 'critical');

    r = await cli('update', '--version', 'v0.4.2', '--dry-run');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /would update 0\.4\.1 → 0\.4\.2/);
    r = await cli('update', '--version', 'v0.4.2');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /updated 0\.4\.1 → 0\.4\.2/);
    r = await cli('update', '--version', 'v0.4.1');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /use slipway rollback --version 0\.4\.1/);
    r = await cli('update', '--version', 'v9.9.9');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /9\.9\.9 is not on stable in the feed/);

    // Settings, with the strategy's names and errors that say what is wrong.
    r = await cli('config', 'set', 'update.maintenance-window', 'Sat 03:00-05:00,Sun 02:00-06:00');
    assert.equal(r.status, 0, r.stderr);
    r = await cli('config', 'get', 'update.maintenance-window');
    assert.equal(r.stdout.trim(), 'Sat 03:00-05:00,Sun 02:00-06:00');
    r = await cli('config', 'set', 'update.maintenance-window', 'Sun 2am-6am');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /"2am" is not a time/);
    r = await cli('config', 'set', 'update.check-interval', 'often');
    assert.equal(r.status, 2);
    r = await cli('config', 'set', 'update.colour', 'blue');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown setting "update.colour"; known: update.channel/);
    r = await cli('config', 'set', 'update.channel', 'beta', '--dry-run');
    assert.match(r.stdout, /would set update.channel = "beta"/);
    r = await cli('config', 'set', 'update.channel', 'edge');
    assert.equal(r.status, 0);
    r = await cli('update', 'check');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /update\.channel is "edge", which this feed does not have; it has nightly, beta, stable/);
    assert.equal((await cli('config', 'set', 'update.channel', 'stable')).status, 0);
    r = await cli('config', 'list', '--json');
    assert.equal((JSON.parse(r.stdout) as { settings: Record<string, unknown> }).settings['update.channel'], 'stable');

    r = await cli('doctor');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ feed\s+.*reachable, signed and fresh/);
    assert.match(r.stdout, /✓ version and schema\s+0\.4\.2 installed; database schema 2/);
    assert.match(r.stdout, /! agent\s+not running/);

    r = await cli('rollback');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rolled back 0\.4\.2 → 0\.4\.1/);
    r = await cli('rollback');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no version older than 0\.4\.1 is kept/);

    r = await cli('history', '--json');
    assert.deepEqual(
      (JSON.parse(r.stdout) as { history: { event: string }[] }).history.map((h) => h.event),
      ['installed', 'updated', 'config-changed', 'config-changed', 'config-changed', 'rolled-back'],
    );
    r = await cli('status');
    assert.match(r.stdout, /^0\.4\.1 on stable from http/);
    assert.match(r.stdout, /maintenance window: Sat 03:00-05:00, Sun 02:00-06:00; next /);

    // The doctor fails when the schema does not match the version.
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(root, 'data', 'app.db'));
    db.exec('INSERT INTO goose_db_version (version_id, is_applied) VALUES (7, 1)');
    db.close();
    r = await cli('doctor', '--json');
    assert.equal(r.status, 1);
    const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean | string; detail: string }[] };
    assert.match(
      doc.checks.find((c) => c.name === 'version and schema')!.detail,
      /schema is at 7 but 0\.4\.1 expects 1/,
    );
  });

  it('refuses bad input clearly', async () => {
    const root = await installRoot();
    let r = await runCli(['status', '--root', root]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /agent\.json is missing: this is not an install root/);
    r = await runCli(['install', '--feed', 'ftp://x', '--root', root, '--trusted-root', '/nope']);
    assert.equal(r.status, 2);
    r = await runCli(['install', '--feed', 'http://127.0.0.1:9', '--root', root]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--trusted-root/);
    const bad = join(root, '..', 'bad-root.json');
    await writeFile(bad, '{"signed": {"_type": "targets"}}');
    r = await runCli(['install', '--feed', 'http://127.0.0.1:9', '--root', root, '--trusted-root', bad]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not TUF root metadata/);
    assert.equal(
      await readFile(join(root, 'agent.json'), 'utf8').catch(() => 'absent'),
      'absent',
      'nothing half-written',
    );
    // agent.json another user cannot read: said so, not "is not JSON".
    const { chmod, mkdir } = await import('node:fs/promises');
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const locked = join(root, '..', 'locked-root');
    await mkdir(locked, { recursive: true });
    await chmod(join(root, '..'), 0o755);
    await chmod(locked, 0o755);
    await writeFile(join(locked, 'agent.json'), '{}', { mode: 0o600 });
    const asNobody = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        '/usr/bin/setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url)),
          'status',
          '--root',
          locked,
        ],
        { env: { PATH: '/usr/bin:/bin', HOME: '/tmp', NO_COLOR: '1' } },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    assert.notEqual(asNobody.code, 0);
    assert.match(asNobody.stderr, /cannot read .*agent\.json: permission denied; run this as the user that owns/);
    assert.doesNotMatch(asNobody.stderr, /not JSON|\n\s+at /);
  });
});

describe('slipway agent as a process', () => {
  it('starts the app, answers the CLI through its API, and stops the app on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { alive } = await import('../src/io/lock-file.ts');
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1 });
    const root = await installRoot();
    const port = await freePort();
    let r = await runCli([
      'install',
      '--feed',
      feed.url,
      '--root',
      root,
      '--trusted-root',
      feed.rootFile,
      '--port',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url)), 'agent', '--root', root],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !log.includes('local API on'); i++) await new Promise((res) => setTimeout(res, 100));
    assert.match(log, /agent started; running 1\.0\.0/);
    r = await runCli(['status', '--root', root, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { agent: { running: boolean; appRunning: boolean } }).agent.appRunning, true);
    const appPid = Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim());
    assert.ok(alive(appPid));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(alive(appPid), false, 'the app stopped with the agent');
    await assert.rejects(readFile(join(root, 'state', 'api.json')), /ENOENT/);
    r = await runCli(['status', '--root', root, '--json']);
    assert.equal((JSON.parse(r.stdout) as { agent: { running: boolean } }).agent.running, false);
  });
  it('idle, re-executes itself lean (same pid, the app kept, the page served) and back to full at the first API call', async (t) => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { alive } = await import('../src/io/lock-file.ts');
    const feed = await sampleFeed();
    await feed.release({ version: '1.0.0', schema: 1 });
    const root = await installRoot();
    const port = await freePort();
    assert.equal(
      (
        await runCli([
          'install',
          '--feed',
          feed.url,
          '--root',
          root,
          '--trusted-root',
          feed.rootFile,
          '--port',
          String(port),
        ])
      ).status,
      0,
    );
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url)), 'agent', '--root', root],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLIPWAY_AGENT_LEAN_AFTER_MS: '1000' } },
    );
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const api = () =>
      readFile(join(root, 'state', 'api.json'), 'utf8')
        .then((t) => JSON.parse(t) as { url: string; pid: number; lean?: boolean })
        .catch(() => null);
    const until = async <T>(what: string, f: () => Promise<T | null | false | undefined>): Promise<T> => {
      for (let i = 0; i < 300; i++) {
        const v = await f();
        if (v) return v;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`timed out waiting for ${what}\n${log}`);
    };
    const first = await until('the agent', api);
    const appPid = Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim());
    const lean = await until('the lean agent', async () => ((await api())?.lean ? await api() : null));
    assert.equal(lean.pid, first.pid, 'the same process, re-executed');
    assert.equal(lean.pid, child.pid);
    assert.equal(new URL(lean.url).port, new URL(first.url).port, 'the same API port');
    assert.ok(alive(appPid), 'the app kept running');
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).ok, true, 'the app serves');
    const page = await fetch(`${lean.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Settings › Updates/);
    // The same headers as the full agent's page.
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    // Refused requests do not wake it: no credentials (401), another Host (421).
    const anonymous = await fetch(`${lean.url}/api/status`);
    assert.equal(anonymous.status, 401);
    assert.match(((await anonymous.json()) as { message: string }).message, /token/);
    const { request } = await import('node:http');
    const misdirected = await new Promise<number>((resolve, reject) =>
      request(`${lean.url}/api/status`, { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(misdirected, 421);
    // A made-up token is refused by the lean agent itself: it does not make the agent re-execute.
    const madeUp = await fetch(`${lean.url}/api/status`, { headers: { authorization: 'Bearer x' } });
    assert.equal(madeUp.status, 401);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await api())?.lean, true, 'still lean after refused requests');
    // Thirty callers at once as it wakes: each is answered (200, or 503 with Retry-After) or
    // finds the port closed for the moment of the exec; none has its request cut off.
    {
      const token = (await readFile(join(root, 'state', 'token'), 'utf8')).trim();
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () =>
          fetch(`${lean.url}/api/status`, { headers: { authorization: `Bearer ${token}` } }).then(
            async (r) => (
              await r.arrayBuffer(),
              r.status === 503 && r.headers.get('retry-after') ? '503' : String(r.status)
            ),
            (e: Error) => (e.cause as { code?: string } | undefined)?.code ?? e.message,
          ),
        ),
      );
      t.diagnostic(`30 callers while it woke: ${outcomes.join(' ')}`);
      for (const o of outcomes)
        assert.match(o, /^(200|503|ECONNREFUSED)$/, `every caller answered: ${outcomes.join(' ')}`);
      await until('the lean agent again', async () => (await api())?.lean);
    }
    // The page, opened on the lean agent in a browser: its first calls wake the full agent and
    // are sent again on the 503 (Retry-After) until it answers.
    {
      const { chromium } = await import('playwright-core');
      const token = (await readFile(join(root, 'state', 'token'), 'utf8')).trim();
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
      try {
        const tab = await browser.newPage();
        const now = (await until('the lean agent again', async () => ((await api())?.lean ? await api() : null))).url;
        t.diagnostic(`the page opened on ${now} (first lean on ${lean.url})`);
        await tab.goto(`${now}/#token=${token}`);
        await tab.locator('#current', { hasText: '1.0.0' }).waitFor({ timeout: 30_000 });
        assert.equal(await tab.locator('#message.error').count(), 0, 'no error shown while the agent woke');
      } finally {
        await browser.close();
      }
      const woken = await api();
      assert.ok(woken !== null && woken.lean !== true && woken.pid === child.pid, 'the page woke the full agent');
      await until('the lean agent again', async () => (await api())?.lean);
    }
    // An API call wakes the full agent; the CLI waits for it.
    const r = await runCli(['status', '--root', root, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { agent: { running: boolean; pid: number; appRunning: boolean } };
    assert.deepEqual(s.agent, { running: true, pid: child.pid, appRunning: true });
    assert.equal(Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim()), appPid, 'the same app');
    // agent.json broken while lean: the woken agent cannot start, so the lean agent keeps the
    // app, answers with why, and wakes the full agent once agent.json is fixed.
    await until('the lean agent again', async () => (await api())?.lean);
    const configPath = join(root, 'agent.json');
    const config = await readFile(configPath, 'utf8');
    await writeFile(configPath, '{ "update": ');
    const broken = await runCli(['status', '--root', root]);
    assert.notEqual(broken.status, 0);
    assert.match(broken.stderr, /cannot start: .*agent\.json/);
    assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(alive(appPid), 'the app kept running while the agent could not start');
    assert.equal((await api())?.lean, true);
    assert.equal((await api())?.pid, child.pid);
    await writeFile(configPath, config);
    await until('the full agent after agent.json was fixed', async () => {
      const a = await api();
      return a !== null && a.lean !== true;
    });
    const fixed = await runCli(['status', '--root', root, '--json']);
    assert.equal(fixed.status, 0, fixed.stderr);
    assert.equal(Number((await readFile(join(root, 'state', 'app.pid'), 'utf8')).trim()), appPid, 'the same app');
    // The app dies while lean: the full agent starts it again, on the same API port.
    await until('the lean agent again', async () => (await api())?.lean);
    process.kill(-appPid, 'SIGKILL');
    const restarted = await until('the app started again', async () => {
      const pid = Number((await readFile(join(root, 'state', 'app.pid'), 'utf8').catch(() => '')).trim());
      return pid > 0 && pid !== appPid && alive(pid) ? pid : null;
    });
    const after = await until('the full agent', async () => {
      const a = await api();
      return a !== null && a.lean !== true ? a : null;
    });
    assert.equal(new URL(after.url).port, new URL(first.url).port, 'the same API port after the app died');
    // Another user takes the API's port the moment the agent wakes (lean → full closes it):
    // the CLI does not send that process the token (it checks who listens) and follows the
    // agent, which, holding the app, serves on another port rather than exiting.
    {
      const { mkdtemp, chmod } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const spy = await mkdtemp(join(tmpdir(), 'slipway-squat-'));
      await chmod(spy, 0o777);
      await until('the lean agent again', async () => (await api())?.lean);
      const squatted = Number(new URL((await api())!.url).port);
      const squatter = spawn(
        '/usr/bin/setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '-e',
          `const http = require('http'); const fs = require('fs'); let n = 0;
           const s = http.createServer((q, r) => { fs.appendFileSync(${JSON.stringify(join(spy, 'seen'))}, String(q.headers.authorization) + '\\n'); r.end('{"fake":true}'); });
           s.on('error', () => { if (++n < 4000) setTimeout(() => s.listen(${squatted}, '127.0.0.1'), 2); });
           s.listen(${squatted}, '127.0.0.1'); setTimeout(() => process.exit(0), 30000);`,
        ],
        { stdio: 'ignore' },
      );
      try {
        await new Promise((res) => setTimeout(res, 300));
        const token = (await readFile(join(root, 'state', 'token'), 'utf8')).trim();
        const woke = await runCli(['status', '--root', root, '--json']);
        const seen = await readFile(join(spy, 'seen'), 'utf8').catch(() => '');
        assert.doesNotMatch(seen, new RegExp(token), 'the token never reached the other user');
        assert.equal(woke.status, 0, `the CLI follows the agent to its new port: ${woke.stderr}`);
        const moved = await until('the full agent on another port', async () => {
          const a = await api();
          return a !== null && a.lean !== true ? a : null;
        });
        t.diagnostic(
          `port squatted: ${squatted}; the agent is now on ${new URL(moved.url).port}; the squatter was asked ${seen.split('\n').filter(Boolean).length} times; status exited ${woke.status}: ${woke.stderr.trim()}`,
        );
        if (seen !== '' || new URL(moved.url).port !== String(squatted)) {
          // The port was taken: the agent kept the app and said where its API went.
          assert.notEqual(new URL(moved.url).port, String(squatted));
          assert.match(
            await readFile(join(root, 'state', 'agent.log'), 'utf8'),
            /port \d+ is taken by another process/,
          );
        }
        assert.ok(alive(restarted), 'the app kept running');
        const again = await runCli(['status', '--root', root, '--json']);
        assert.equal(again.status, 0, again.stderr);
        assert.doesNotMatch(await readFile(join(spy, 'seen'), 'utf8').catch(() => ''), new RegExp(token));
      } finally {
        squatter.kill('SIGKILL');
      }
    }
    // Lean again, then SIGTERM: the app stops with it.
    await until('the lean agent again', async () => (await api())?.lean);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    // Exited (a zombie until init reaps it: the lean agent's image never spawned it).
    const { zombie } = await import('../src/agent/app-process.ts');
    assert.equal(alive(restarted) && !zombie(restarted), false, 'the app stopped with the lean agent');
    assert.match(
      log + (await readFile(join(root, 'state', 'agent.log'), 'utf8')),
      /going lean[\s\S]*waking the full agent: GET \/api\/status/,
    );
  });
});
