import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAgentConfig } from '../src/agent/config.ts';
import { Layout } from '../src/agent/layout.ts';
import { drain, outbox } from '../src/agent/notify.ts';
import { Agent } from '../src/agent/agent.ts';
import { writeFeedAdvisories } from '../src/release/advisory-feed.ts';
import { installedSample, sampleAdvisory, stopFirst } from './agent-helpers.ts';
import { runCli } from './helpers.ts';
import { smtpServer, subjectOf, webhookReceiver } from './notify-helpers.ts';

async function set(root: string, key: string, value: string): Promise<void> {
  const r = await runCli(['config', 'set', key, value, '--root', root]);
  assert.equal(r.status, 0, r.stderr);
}

/** Notification emails through the test's SMTP server. */
async function useSmtp(root: string, port: number): Promise<void> {
  await set(root, 'notify.smtp-host', '127.0.0.1');
  await set(root, 'notify.smtp-port', String(port));
  await set(root, 'notify.smtp-from', 'updates@example.com');
}

/** Delivers what the outbox holds as if `later` ms had passed (the agent's tick does this). */
async function drainLater(root: string, later: number) {
  const layout = new Layout(root);
  const { config } = await readAgentConfig(layout.agentConfig, new Date());
  return drain({
    layout,
    config,
    env: {},
    now: () => new Date(Date.now() + later),
    log: () => Promise.resolve(),
  });
}

describe('notifications', () => {
  it('tells each operator what happened, by a signed webhook and by email through a real SMTP server', async () => {
    const { feed, root } = await installedSample();
    const smtp = await smtpServer();
    const hook = await webhookReceiver();
    await useSmtp(root, smtp.port);

    const added = await runCli([
      'operator',
      'add',
      'alice',
      '--email',
      'alice@example.com',
      '--webhook',
      hook.url,
      '--root',
      root,
      '--json',
    ]);
    assert.equal(added.status, 0, added.stderr);
    const alice = JSON.parse(added.stdout) as { token: string; webhookSecret: string; operator: { events: string[] } };
    assert.match(alice.token, /^[0-9a-f]{64}$/);
    assert.equal(alice.operator.events.length, 7, 'all events by default');
    hook.state.secret = alice.webhookSecret;
    const bob = await runCli([
      'operator',
      'add',
      'bob',
      '--email',
      'bob@example.com',
      '--events',
      'advisory',
      '--root',
      root,
    ]);
    assert.equal(bob.status, 0, bob.stderr);

    // The token is shown once and never kept in clear.
    const { readFile } = await import('node:fs/promises');
    const stored = await readFile(`${root}/state/operators.json`, 'utf8');
    assert.ok(!stored.includes(alice.token));

    await feed.release({ version: '1.1.0', schema: 1 });
    const up = await runCli(['update', '--root', root]);
    assert.equal(up.status, 0, up.stderr);
    assert.equal(hook.hooks.length, 1);
    assert.equal(hook.hooks[0]!.event, 'applied');
    assert.equal(hook.hooks[0]!.signatureOk, true, 'the HMAC header verifies with the secret');
    assert.equal(hook.hooks[0]!.body.title, 'Updated 1.0.0 → 1.1.0');
    assert.deepEqual(
      smtp.mails.map((m) => m.to),
      [['alice@example.com']],
      'bob asked for advisories only',
    );
    assert.match(subjectOf(smtp.mails[0]!.data), /^\[slipway\] .+: Updated 1\.0\.0 → 1\.1\.0$/);
    assert.equal(smtp.mails[0]!.from, 'updates@example.com');

    // A broken release: rolled back, and the reason reaches the operator.
    await feed.release({ version: '1.2.0', schema: 1, broken: true });
    const bad = await runCli(['update', '--root', root]);
    assert.equal(bad.status, 1);
    const rolled = hook.hooks.find((h) => h.event === 'rolled-back');
    assert.ok(rolled, 'a rolled-back notification');
    assert.match(String(rolled.body.title), /The update to 1\.2\.0 failed and was rolled back to 1\.1\.0/);
    assert.match(String(rolled.body.reason), /health/);
    assert.equal((await outbox(new Layout(root))).pending.length, 0, 'everything was delivered');
  });

  it('a receiver that answers 500 or never answers is retried with backoff and never blocks the update; an SMTP refusal fails for good, kept', async () => {
    const { feed, root } = await installedSample();
    const smtp = await smtpServer({ refuse: true });
    const hook = await webhookReceiver();
    await useSmtp(root, smtp.port);
    await set(root, 'notify.webhook-timeout', '1s');
    const added = await runCli([
      'operator',
      'add',
      'ops',
      '--email',
      'ops@example.com',
      '--webhook',
      hook.url,
      '--events',
      'applied',
      '--root',
      root,
      '--json',
    ]);
    hook.state.secret = (JSON.parse(added.stdout) as { webhookSecret: string }).webhookSecret;

    hook.state.mode = 'hang';
    await feed.release({ version: '1.1.0', schema: 1 });
    const up = await runCli(['update', '--root', root]);
    assert.equal(up.status, 0, 'the update succeeds whatever the receivers do');
    assert.match(up.stdout, /updated 1\.0\.0 → 1\.1\.0/);

    const status = await runCli(['notify', 'status', '--root', root, '--json']);
    assert.equal(status.status, 1, 'a delivery failed for good');
    const s = JSON.parse(status.stdout) as {
      pending: { channel: string; attempts: number; lastError: string }[];
      failed: { channel: string; lastError: string }[];
    };
    assert.deepEqual(
      s.pending.map((d) => [d.channel, d.attempts]),
      [['webhook', 1]],
    );
    assert.match(s.pending[0]!.lastError, /no answer within 1s/);
    assert.deepEqual(
      s.failed.map((d) => d.channel),
      ['email'],
    );
    assert.match(s.failed[0]!.lastError, /550/);

    // Not due yet: nothing is sent. After the backoff, the receiver fails with 500: retried again.
    hook.state.mode = 'fail';
    assert.equal((await drainLater(root, 0)).retrying, 0);
    const second = await drainLater(root, 20_000);
    assert.equal(second.retrying, 1);
    assert.match(second.errors[0]!, /answered HTTP 500/);
    // The receiver is back: delivered, once.
    hook.state.mode = 'ok';
    const third = await drainLater(root, 600_000);
    assert.equal(third.delivered, 1);
    assert.equal(hook.hooks.length, 1);
    assert.equal(hook.hooks[0]!.signatureOk, true);

    // The refused email is kept; once the server accepts, --retry sends it.
    smtp.state.refuse = false;
    const retry = await runCli(['notify', 'status', '--retry', '--root', root]);
    assert.equal(retry.status, 0, retry.stderr);
    assert.equal((await drainLater(root, 0)).delivered, 1);
    assert.equal(smtp.mails.length, 1);
    const clean = await runCli(['notify', 'status', '--root', root]);
    assert.equal(clean.status, 0);
    assert.match(clean.stdout, /pending: 0\nfailed: 0/);
  });

  it('refuses bad operator input with a clear error and changes nothing', async () => {
    const { root } = await installedSample();
    const cases: [string[], RegExp][] = [
      [['operator', 'add', '../x'], /operator name "\.\.\/x" is not valid/],
      [['operator', 'add', 'al', '--email', 'not-an-address'], /"not-an-address" is not an email address/],
      [['operator', 'add', 'al', '--webhook', 'ftp://x'], /must be http\(s\)/],
      [['operator', 'add', 'al', '--webhook', 'https://u:p@x.example/h'], /carries credentials/],
      [['operator', 'add', 'al', '--events', 'applied,exploded'], /unknown notification event "exploded"/],
      [['operator', 'add', 'al', '--role', 'root'], /--role expects admin or viewer/],
      [['operator', 'set', 'nobody', '--events', 'all'], /there is no operator "nobody"/],
      [['operator', 'remove', 'nobody'], /there is no operator "nobody"/],
      [['notify', 'test'], /no operator has an email or a webhook/],
      [['config', 'set', 'notify.smtp-port', '0'], /notify\.smtp-port expects a whole number from 1 to 65535/],
      [['config', 'set', 'notify.smtp-port', '0x19'], /notify\.smtp-port expects a whole number/],
      [['config', 'set', 'notify.webhook-timeout', '100000d'], /outside 1s to 5m/],
      [['config', 'set', 'notify.webhook-timeout', '1ms'], /outside 1s to 5m/],
      [['operator', 'add', 'root'], /"root" is the install token's name/],
      [
        ['operator', 'add', 'al', '--webhook', 'http://x.example/a\r\nFAKE: 1'],
        /contains spaces or control characters/,
      ],
      [['operator', 'add', 'al', '--email', 'a(comment)@b.com'], /is not an email address/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--root', root]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    for (const args of [
      ['operator', 'add', 'x'],
      ['notify', 'status'],
    ]) {
      const elsewhere = await runCli([...args, '--root', `${root}-not-installed`]);
      assert.equal(elsewhere.status, 1, elsewhere.stderr);
      assert.match(elsewhere.stderr, /is not an install root \(it has no agent\.json\)/);
    }
    const list = await runCli(['operator', 'list', '--root', root, '--json']);
    assert.deepEqual((JSON.parse(list.stdout) as { operators: unknown[] }).operators, []);
    const dup1 = await runCli(['operator', 'add', 'al', '--root', root]);
    assert.equal(dup1.status, 0);
    const dup2 = await runCli(['operator', 'add', 'AL', '--root', root]);
    assert.equal(dup2.status, 2);
    assert.match(dup2.stderr, /there is an operator "AL" already/);
    const dry = await runCli(['operator', 'remove', 'al', '--dry-run', '--root', root]);
    assert.match(dry.stdout, /would remove al/);
    assert.equal(
      (JSON.parse((await runCli(['operator', 'list', '--root', root, '--json'])).stdout) as { operators: unknown[] })
        .operators.length,
      1,
    );
  });

  it('the agent tells operators once about an advisory and a held-back major; operators have their own tokens, roles and preferences', async () => {
    const { feed, root } = await installedSample();
    const hook = await webhookReceiver();
    const alice = JSON.parse(
      (await runCli(['operator', 'add', 'alice', '--webhook', hook.url, '--root', root, '--json'])).stdout,
    ) as { token: string; webhookSecret: string };
    hook.state.secret = alice.webhookSecret;
    const viewer = JSON.parse(
      (await runCli(['operator', 'add', 'val', '--role', 'viewer', '--events', 'none', '--root', root, '--json']))
        .stdout,
    ) as { token: string };

    const agent = await Agent.create(root, { firstCheckMs: 0, tickMs: 3_600_000 });
    await agent.start();
    stopFirst(root, () => agent.stop());
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(`${agent.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, data: (await r.json()) as Record<string, unknown> };
    };

    // An advisory against the installed 1.0.0 and a new major that waits for approval.
    const advisory = sampleAdvisory({
      id: 'SAMPLE-SA-2026-010',
      summary: 'Open redirect',
      severity: 'medium',
      fixed: '2.0.0',
    });
    await feed.release({ version: '2.0.0', schema: 1 });
    await writeFeedAdvisories(feed.store, feed.keys, [advisory], { now: new Date() });
    await agent.tick();
    await agent.instance.delivered();
    const events = () => hook.hooks.map((h) => h.event).sort();
    assert.deepEqual(events(), ['advisory', 'update-available']);
    const adv = hook.hooks.find((h) => h.event === 'advisory')!;
    assert.match(
      String(adv.body.text),
      /1\.0\.0 is affected by SAMPLE-SA-2026-010 \(medium\): Open redirect; fixed in 2\.0\.0/,
    );
    assert.ok(hook.hooks.every((h) => h.signatureOk));
    // The next check finds the same: nobody is told twice.
    await agent.checkAndUpdate();
    await agent.instance.delivered();
    assert.equal(hook.hooks.length, 2);

    // Roles: a viewer reads, never changes.
    assert.equal((await call(viewer.token, 'GET', '/api/status')).status, 200);
    const denied = await call(viewer.token, 'PUT', '/api/config', { key: 'update.channel', value: 'beta' });
    assert.equal(denied.status, 403);
    assert.match(String(denied.data.message), /val is a viewer/);
    assert.equal((await call(viewer.token, 'POST', '/api/update', {})).status, 403);
    assert.equal((await call('f'.repeat(64), 'GET', '/api/status')).status, 401);

    // Settings › Notifications: each operator sets their own.
    const me = await call(viewer.token, 'GET', '/api/me');
    assert.equal(me.status, 200);
    assert.equal((me.data.operator as { name: string }).name, 'val');
    const changed = await call(viewer.token, 'PUT', '/api/me/notifications', { events: ['advisory', 'end-of-life'] });
    assert.equal(changed.status, 200, JSON.stringify(changed.data));
    assert.deepEqual((changed.data.operator as { events: string[] }).events, ['advisory', 'end-of-life']);
    const bad = await call(viewer.token, 'PUT', '/api/me/notifications', { events: ['nope'] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.data.message), /unknown notification event "nope"/);
    const { readFile } = await import('node:fs/promises');
    const rootToken = (await readFile(`${root}/state/token`, 'utf8')).trim();
    const notOperator = await call(rootToken, 'PUT', '/api/me/notifications', { events: [] });
    assert.equal(notOperator.status, 400);
    assert.match(String(notOperator.data.message), /not an operator/);

    // Removed: the token stops working at once.
    assert.equal((await runCli(['operator', 'remove', 'val', '--root', root])).status, 0);
    assert.equal((await call(viewer.token, 'GET', '/api/status')).status, 401);
    assert.equal((await call(alice.token, 'GET', '/api/status')).status, 200);
  });

  it('a garbled outbox file or operators.json never drops, stalls or misroutes a notification', async () => {
    const { feed, root } = await installedSample();
    const hook = await webhookReceiver();
    const added = JSON.parse(
      (await runCli(['operator', 'add', 'ops', '--webhook', hook.url, '--events', 'applied', '--root', root, '--json']))
        .stdout,
    ) as { webhookSecret: string };
    hook.state.secret = added.webhookSecret;
    hook.state.mode = 'fail';
    await feed.release({ version: '1.1.0', schema: 1 });
    assert.equal((await runCli(['update', '--root', root])).status, 0);
    const { readdir, readFile, writeFile } = await import('node:fs/promises');
    const dir = `${root}/state/outbox`;
    // Garbage beside the real delivery: null, {}, and a delivery under another file name.
    const real = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    await writeFile(`${dir}/00-null.json`, 'null');
    await writeFile(`${dir}/01-empty.json`, '{}');
    await writeFile(`${dir}/zz-renamed.json`, await readFile(`${dir}/${real}`, 'utf8'));
    const status = await runCli(['notify', 'status', '--root', root, '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { pending: unknown[] }).pending.length, 1);

    // operators.json garbled: nothing is sent and nothing is dropped.
    const good = await readFile(`${root}/state/operators.json`, 'utf8');
    await writeFile(`${root}/state/operators.json`, '{garbage');
    hook.state.mode = 'ok';
    const waiting = await drainLater(root, 600_000);
    assert.equal(waiting.delivered, 0);
    assert.match(waiting.errors[0]!, /operators\.json is not JSON/);
    assert.equal((await outbox(new Layout(root))).pending.length, 1, 'still queued');
    const doctor = await runCli(['doctor', '--root', root, '--json']);
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: unknown }[] }).checks;
    assert.equal(checks.find((c) => c.name === 'notifications')?.ok, false);

    // Restored: the one real delivery goes out once; the garbage was set aside, never sent.
    await writeFile(`${root}/state/operators.json`, good);
    const sent = await drainLater(root, 600_000);
    assert.equal(sent.delivered, 1);
    assert.equal(hook.hooks.length, 1);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.invalid')).sort(), [
      '00-null.json.invalid',
      '01-empty.json.invalid',
      'zz-renamed.json.invalid',
    ]);

    // A namesake added after a removal never gets the old operator's notifications.
    hook.state.mode = 'fail';
    await feed.release({ version: '1.2.0', schema: 1 });
    assert.equal((await runCli(['update', '--root', root])).status, 0);
    assert.equal((await runCli(['operator', 'remove', 'ops', '--root', root])).status, 0);
    const other = await webhookReceiver();
    assert.equal((await runCli(['operator', 'add', 'ops', '--webhook', other.url, '--root', root])).status, 0);
    other.state.mode = 'ok';
    await drainLater(root, 600_000);
    assert.equal(other.hooks.length, 0);
    assert.equal((await outbox(new Layout(root))).pending.length, 0, 'dropped with its operator');
  });
});
