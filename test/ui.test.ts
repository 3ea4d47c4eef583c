import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { Agent } from '../src/agent/agent.ts';
import { installedSample, stopFirst } from './agent-helpers.ts';
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
});
