import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { Agent } from '../src/agent/agent.ts';
import { createServer } from 'node:http';
import { bannerMiddleware } from '../src/http/banner.ts';
import { writeFeedAdvisories } from '../src/release/advisory-feed.ts';
import { freePort, installedSample, sampleAdvisory, stopFirst } from './agent-helpers.ts';
import { webhookReceiver } from './notify-helpers.ts';
import { runCli } from './helpers.ts';

/** Settings › Updates in a real Chromium (Debian's; never a downloaded browser). */
describe('the Settings › Updates page', () => {
  it('signs in from the link, shows an available security update with its notes, updates, changes settings with clear errors, rolls back', async () => {
    const { feed, root } = await installedSample();
    const agent = await Agent.create(root, { firstCheckMs: 3_600_000, tickMs: 3_600_000 });
    await agent.start();
    stopFirst(root, () => agent.stop());
    await feed.release(
      { version: '1.1.0', schema: 2 },
      {
        security: { severity: 'high', advisory: 'CVE-2026-1111' },
        notes: '### Security\n- <img src=x onerror=alert(1)> escaped, not run\n',
      },
    );

    const ui = await runCli(['ui', '--root', root, '--json']);
    assert.equal(ui.status, 0, ui.stderr);
    const { url } = JSON.parse(ui.stdout) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    after(() => browser.close());
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    // Without the token: the sign-in form, and no data.
    await page.goto(url.replace(/#.*/, ''));
    await page.locator('#login').waitFor();
    assert.equal(await page.locator('#app').isHidden(), true);

    await page.goto(url);
    await page.locator('#banner-title').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
    assert.equal(await page.locator('#current').textContent(), '1.0.0');
    assert.equal(await page.locator('#banner-title').textContent(), 'Update available: 1.1.0 — security (high)');
    assert.match((await page.locator('#notes').textContent())!, /<img src=x onerror=alert\(1\)> escaped/);

    await page.click('#update-now');
    await page.locator('#message', { hasText: 'Updated 1.0.0 → 1.1.0.' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#current').textContent(), '1.1.0');
    assert.equal(await page.locator('#banner').isHidden(), true);

    // A bad window is refused with the bad part named; a good one is saved to agent.json.
    await page.fill('#window', 'Sun 2am-6am');
    await page.click('#settings button');
    await page.locator('#message.error', { hasText: '"2am" is not a time' }).waitFor();
    await page.fill('#window', 'Sat 03:00-05:00,Sun 02:00-06:00');
    await page.selectOption('#channel', 'beta');
    await page.uncheck('#bypass');
    await page.click('#settings button');
    await page.locator('#message', { hasText: 'Settings saved.' }).waitFor();
    const saved = JSON.parse(await readFile(join(root, 'agent.json'), 'utf8')) as { update: Record<string, unknown> };
    assert.equal(saved.update['maintenance-window'], 'Sat 03:00-05:00,Sun 02:00-06:00');
    assert.equal(saved.update.channel, 'beta');
    assert.equal(saved.update['security-bypass-window'], false);

    await page.click('button[data-version="1.0.0"]');
    await page.locator('#message', { hasText: 'Rolled back 1.1.0 → 1.0.0.' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#current').textContent(), '1.0.0');
    // The version rolled back from is held, and the page says so (and does not offer it as an ordinary update).
    assert.match((await page.locator('#held').textContent())!, /^1\.1\.0: rolled back from by hand/);
    assert.match((await page.locator('#banner-detail').textContent())!, /^Held back: rolled back from by hand/);
    assert.equal(await page.locator('#attention').isHidden(), true);
    const events = await page.locator('#history tr td:nth-child(2)').allTextContents();
    assert.equal(events[0], 'rolled-back');
    assert.ok(events.includes('updated') && events.includes('installed'));
    assert.deepEqual(dialogs, [], 'nothing from the release notes ran');

    // The API refuses other Host names (DNS rebinding) and requests without the token.
    const apiUrl = new URL(url);
    const { request } = await import('node:http');
    const rebound = await new Promise<number>((resolve, reject) => {
      request(`${apiUrl.origin}/api/status`, { headers: { host: `evil.example:${apiUrl.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(rebound, 421);
    assert.equal((await fetch(`${apiUrl.origin}/api/status`)).status, 401);
    const html = await fetch(`${apiUrl.origin}/`);
    assert.match(html.headers.get('content-security-policy')!, /default-src 'self'/);
  });

  it("renders the notes as sanitized HTML, shows an advisory in a danger banner, sets an operator's notifications, and puts the same banner in a host app", async () => {
    const { feed, root } = await installedSample();
    const agent = await Agent.create(root, { firstCheckMs: 3_600_000, tickMs: 3_600_000 });
    await agent.start();
    stopFirst(root, () => agent.stop());
    await feed.release(
      { version: '1.1.0', schema: 1 },
      {
        notes:
          '### Fixed\n- **Login** no longer loops ([#12](https://example.com/12))\n- <script>window.pwned = 1</script> stays text\n- [a trap](javascript:window.pwned=2)\n',
      },
    );
    const advisory = sampleAdvisory({
      id: 'SAMPLE-SA-2026-020',
      aliases: ['CVE-2026-2020'],
      summary: 'Login loop leaks the session',
      severity: 'medium',
      fixed: '1.1.0',
    });
    await writeFeedAdvisories(feed.store, feed.keys, [advisory], { now: new Date() });
    const carol = JSON.parse((await runCli(['operator', 'add', 'carol', '--root', root, '--json'])).stdout) as {
      token: string;
    };
    const viewer = JSON.parse(
      (await runCli(['operator', 'add', 'dashboard', '--role', 'viewer', '--events', 'none', '--root', root, '--json']))
        .stdout,
    ) as { token: string };

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${agent.url}/#token=${carol.token}`);
    await page.locator('#banner.danger').waitFor();
    assert.equal(await page.locator('#banner-title').textContent(), 'Update available: 1.1.0 — security (medium)');
    assert.equal(await page.locator('#banner-summary').textContent(), 'Login no longer loops (#12)');
    assert.match(
      (await page.locator('#notices').textContent())!,
      /1\.0\.0 is affected by SAMPLE-SA-2026-020 \(CVE-2026-2020\) \(medium\): Login loop leaks the session; fixed in 1\.1\.0/,
    );
    // Markdown rendered; raw HTML and javascript: links are not.
    assert.equal(await page.locator('#notes strong').textContent(), 'Login');
    const link = page.locator('#notes a[href="https://example.com/12"]');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow');
    assert.equal(await page.locator('#notes script').count(), 0);
    assert.match((await page.locator('#notes').textContent())!, /<script>window\.pwned = 1<\/script> stays text/);
    assert.equal(await page.locator('#notes a[href^="javascript"]').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);
    assert.match((await page.locator('#footer').textContent())!, /^1\.0\.0 on stable · Slipway v\d+\.\d+\.\d+/);

    // Settings › Notifications: carol's own.
    assert.equal(await page.locator('#notify-who').textContent(), 'Signed in as carol (admin).');
    const hook = await webhookReceiver();
    await page.fill('#notify-webhook', hook.url);
    await page.uncheck('#notify-events input[data-event="update-available"]');
    await page.click('#notify-form button');
    await page.locator('#message', { hasText: 'Notifications saved.' }).waitFor();
    assert.match((await page.locator('#notify-secret').textContent())!, /Webhook secret .*: [0-9a-f]{48}$/);
    const saved = JSON.parse(await readFile(join(root, 'state', 'operators.json'), 'utf8')) as {
      operators: { name: string; events: string[]; webhook: { url: string } | null }[];
    };
    const c = saved.operators.find((o) => o.name === 'carol')!;
    assert.equal(c.webhook?.url, hook.url);
    assert.ok(!c.events.includes('update-available') && c.events.includes('advisory'));
    await page.fill('#notify-webhook', 'ftp://nope');
    await page.click('#notify-form button');
    await page.locator('#message.error', { hasText: 'must be http(s)' }).waitFor();

    // The host app: its own page on its own origin, the banner through the middleware and a viewer token.
    const mw = bannerMiddleware({ root, token: viewer.token });
    const host = createServer((req, res) =>
      mw(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          '<!doctype html><title>Host dashboard</title><script src="/slipway/banner.js" defer></script><slipway-banner></slipway-banner><h1>Dashboard</h1>',
        );
      }),
    );
    const hostPort = await freePort();
    await new Promise<void>((done) => host.listen(hostPort, '127.0.0.1', done));
    after(() => new Promise<void>((done) => host.close(() => done())));
    const dash = await browser.newPage();
    await dash.goto(`http://127.0.0.1:${hostPort}/`);
    await dash.locator('slipway-banner[level="danger"]').waitFor();
    assert.equal(
      await dash.locator('slipway-banner .title').textContent(),
      'Update available: 1.1.0 — security (medium)',
    );
    assert.match((await dash.locator('slipway-banner .notices').textContent())!, /affected by SAMPLE-SA-2026-020/);
    assert.equal(await dash.locator('slipway-banner .notes-body strong').textContent(), 'Login');
    assert.match((await dash.locator('slipway-banner footer').textContent())!, /1\.0\.0 on stable · Slipway v/);
    // The viewer token stays on the server: the browser never sees it.
    const bannerJson = await (await fetch(`http://127.0.0.1:${hostPort}/slipway/banner.json`)).text();
    assert.ok(!bannerJson.includes(viewer.token));
    // An agent that cannot be reached: a clear 503, not a hang.
    const dead = bannerMiddleware({ agentUrl: `http://127.0.0.1:${await freePort()}`, token: viewer.token });
    const deadHost = createServer((req, res) => dead(req, res));
    const deadPort = await freePort();
    await new Promise<void>((done) => deadHost.listen(deadPort, '127.0.0.1', done));
    after(() => new Promise<void>((done) => deadHost.close(() => done())));
    const down = await fetch(`http://127.0.0.1:${deadPort}/slipway/banner.json`);
    assert.equal(down.status, 503);
    assert.match(((await down.json()) as { message: string }).message, /the Slipway agent cannot be reached/);
  });
});
