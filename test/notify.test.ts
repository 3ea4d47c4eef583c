import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAgentConfig } from '../src/agent/config.ts';
import { Layout } from '../src/agent/layout.ts';
import { drain, outbox } from '../src/agent/notify.ts';
import { installedSample } from './agent-helpers.ts';
import { runCli } from './helpers.ts';
import { smtpServer, subjectOf, webhookReceiver } from './notify-helpers.ts';

async function set(root: string, key: string, value: string): Promise<void> {
  const r = await runCli(['config', 'set', key, value, '--root', root]);
  assert.equal(r.status, 0, r.stderr);
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
    await set(root, 'notify.smtp-host', '127.0.0.1');
    await set(root, 'notify.smtp-port', String(smtp.port));
    await set(root, 'notify.smtp-from', 'updates@example.com');

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
    await set(root, 'notify.smtp-host', '127.0.0.1');
    await set(root, 'notify.smtp-port', String(smtp.port));
    await set(root, 'notify.smtp-from', 'updates@example.com');
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
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--root', root]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const list = await runCli(['operator', 'list', '--root', root, '--json']);
    assert.deepEqual((JSON.parse(list.stdout) as { operators: unknown[] }).operators, []);
    const dup1 = await runCli(['operator', 'add', 'al', '--root', root]);
    assert.equal(dup1.status, 0);
    const dup2 = await runCli(['operator', 'add', 'al', '--root', root]);
    assert.equal(dup2.status, 2);
    assert.match(dup2.stderr, /there is an operator "al" already/);
    const dry = await runCli(['operator', 'remove', 'al', '--dry-run', '--root', root]);
    assert.match(dry.stdout, /would remove al/);
    assert.equal(
      (JSON.parse((await runCli(['operator', 'list', '--root', root, '--json'])).stdout) as { operators: unknown[] })
        .operators.length,
      1,
    );
  });
});
