// Settings › Updates: a page over the agent's local API. The token arrives in the URL fragment
// (never sent to a server, never in a log), is kept in sessionStorage, and goes out as a bearer
// header. Everything from the API is written with textContent, except the release notes, which
// the agent renders from Markdown with raw HTML off (markdown-it): they cannot inject markup.
'use strict';

const $ = (id) => document.getElementById(id);
function tokenFromHash() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!fromHash) return false;
  sessionStorage.setItem('slipway-token', fromHash);
  history.replaceState(null, '', location.pathname);
  return true;
}
tokenFromHash();
window.addEventListener('hashchange', () => {
  if (tokenFromHash()) refresh().catch((err) => say(err.message, true));
});

async function api(method, path, body) {
  const token = sessionStorage.getItem('slipway-token') || '';
  let r;
  let waking = false;
  // An idle agent is lean: it answers 503 with Retry-After while the full agent starts (a
  // second or two), so the call is sent again, a bounded number of times.
  for (let attempt = 0; ; attempt++) {
    r = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch(() => null);
    // A call that got no answer at all is sent again only when it changes nothing (GET) or
    // the agent said it is waking (it is between the lean and the full process).
    const busy = r !== null && r.status === 503 && r.headers.get('retry-after') !== null;
    const retry = busy || (r === null && (method === 'GET' || waking));
    if (!retry || attempt >= 40) break;
    if (busy && !waking) $('summary').textContent = 'Waking the agent…';
    waking ||= busy;
    await new Promise((done) => setTimeout(done, 500));
  }
  if (r === null) throw new Error('the agent does not answer; is it running?');
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) {
    showLogin();
    throw new Error(token ? "that token was refused: use the one in state/token or an operator's" : 'not signed in');
  }
  if (!r.ok) throw new Error(data.message || `HTTP ${r.status}`);
  return data;
}

function say(text, error = false) {
  $('message').textContent = text;
  $('message').className = error ? 'error' : '';
}

function showLogin() {
  $('login').hidden = false;
  $('app').hidden = true;
  $('summary').textContent = 'Not signed in';
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c ?? '';
    tr.append(td);
  }
  return tr;
}

async function busy(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    say(e.message, true);
  } finally {
    button.disabled = false;
  }
}

async function refresh() {
  const [status, config, hist] = await Promise.all([
    api('GET', '/api/status'),
    api('GET', '/api/config'),
    api('GET', '/api/history'),
  ]);
  $('login').hidden = true;
  $('app').hidden = false;
  $('summary').textContent = `${status.current ?? 'nothing installed'} on ${status.channel}`;
  $('current').textContent = status.current ?? '—';
  $('channel-now').textContent = status.channel;
  $('feed').textContent = status.feed;
  $('agent').textContent = status.agent.running
    ? `running, app ${status.agent.appRunning ? 'running' : 'stopped'}`
    : 'not running';
  $('staged').textContent = status.staged
    ? `${status.staged.version}${status.staged.security ? ` (security: ${status.staged.security})` : ''}, applies ${status.staged.applyAt ?? 'now'}`
    : '—';
  $('last-check').textContent = status.lastCheck
    ? `${status.lastCheck.at}${status.lastCheck.error ? `, failed: ${status.lastCheck.error}` : status.lastCheck.available ? `, ${status.lastCheck.available} available` : ', up to date'}`
    : 'never';
  $('attention').hidden = !status.attention;
  if (status.attention) {
    $('attention-problem').textContent =
      `${status.attention.problem} The instance runs ${status.attention.running ?? 'nothing'}.`;
    $('attention-fix').replaceChildren(
      ...status.attention.fix.map((f) => {
        const li = document.createElement('li');
        li.textContent = f;
        return li;
      }),
    );
  }
  const held = Object.entries(status.rejected);
  $('held').replaceChildren(
    ...(held.length === 0 ? [['none', '']] : held).map(([v, why]) => {
      const li = document.createElement('li');
      li.textContent = why ? `${v}: ${why}` : v;
      return li;
    }),
  );
  const s = config.settings;
  $('channel').value = s['update.channel'];
  $('interval').value = s['update.check-interval'];
  $('window').value = s['update.maintenance-window'];
  $('bypass').checked = s['update.security-bypass-window'];
  $('keep').value = s['update.keep'];
  const kept = $('kept');
  kept.replaceChildren();
  for (const k of status.kept) {
    const li = document.createElement('li');
    li.textContent = `${k.version} (${k.channel}, installed ${k.installedAt}) `;
    if (k.version !== status.current) {
      const b = document.createElement('button');
      b.textContent = `Roll back to ${k.version}`;
      b.dataset.version = k.version;
      b.addEventListener('click', () =>
        busy(b, async () => {
          const r = await api('POST', '/api/rollback', { version: k.version });
          await refresh();
          say(`Rolled back ${r.from} → ${r.to}.`);
        }),
      );
      li.append(b);
    } else li.append('(running)');
    kept.append(li);
  }
  $('history').replaceChildren(
    ...hist.history
      .slice()
      .reverse()
      .map((h) => row([h.at, h.event, h.from, h.to, h.reason])),
  );
  $('footer').textContent =
    `${status.current ?? 'nothing installed'} on ${status.channel} · Slipway v${status.slipway}`;
  const check = await api('GET', '/api/check');
  const b = check.banner;
  const t = check.selection.target;
  // Shown for an update, and also for an advisory or an end-of-life line without one.
  $('banner').hidden = b.level === 'none';
  $('banner').classList.toggle('security', b.level === 'danger');
  $('banner').classList.toggle('danger', b.level === 'danger');
  $('banner').classList.toggle('warning', b.level === 'warning');
  $('banner-title').textContent = b.title;
  $('banner-summary').textContent = b.summary;
  $('notices').replaceChildren(
    ...[...b.advisories, ...b.warnings.filter((w) => w !== b.title)].map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    }),
  );
  $('notes').innerHTML = b.notesHtml; // markdown-it, raw HTML off (see notes-html.ts)
  $('update-now').hidden = !t;
  $('banner-detail').textContent = '';
  if (t) {
    const d = check.decision;
    $('banner-detail').textContent = check.held
      ? `Held back: ${check.held}. It applies only when you choose it.`
      : d && d.action === 'wait-for-approval'
        ? `A new major version: read the upgrade notes below, then choose Update now. ${d.reason}`
        : `${t.breaking ? 'Breaking. ' : ''}From the ${t.channel} channel.${d && d.reason ? ` ${d.reason}` : ''}`;
    $('update-now').dataset.version = t.version;
  }
  await refreshNotifications();
}

/** Settings › Notifications: the signed-in operator's own preferences. */
async function refreshNotifications() {
  const me = await api('GET', '/api/me');
  const o = me.operator;
  $('notify-form').hidden = !o;
  $('notify-who').textContent = o
    ? `Signed in as ${o.name} (${o.role}).`
    : 'Signed in with the install token, which has no notification preferences. Add yourself with slipway operator add <name> and sign in with your own token.';
  if (!o) return;
  $('notify-email').value = o.email ?? '';
  $('notify-webhook').value = o.webhook ?? '';
  $('notify-no-smtp').hidden = me.email;
  $('notify-events').replaceChildren(
    ...Object.entries(me.events).map(([event, help]) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = event;
      box.checked = o.events.includes(event);
      box.dataset.event = event;
      label.append(box, ` ${event}: ${help}`);
      return label;
    }),
  );
}

$('notify-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy(e.target.querySelector('button'), async () => {
    const events = [...document.querySelectorAll('#notify-events input:checked')].map((b) => b.value);
    const r = await api('PUT', '/api/me/notifications', {
      email: $('notify-email').value.trim(),
      webhook: $('notify-webhook').value.trim(),
      events,
    });
    await refreshNotifications();
    $('notify-secret').hidden = !r.webhookSecret;
    $('notify-secret').textContent = r.webhookSecret
      ? `Webhook secret (shown once; check the x-slipway-signature-256 header with it): ${r.webhookSecret}`
      : '';
    say('Notifications saved.');
  });
});

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('slipway-token', $('token').value.trim());
  refresh().catch((err) => say(err.message, true));
});
$('update-now').addEventListener('click', (e) =>
  busy(e.target, async () => {
    say(`Updating to ${e.target.dataset.version}…`);
    const r = await api('POST', '/api/update', { version: e.target.dataset.version });
    await refresh();
    say(
      r.outcome === 'updated'
        ? `Updated ${r.from} → ${r.to}.`
        : r.outcome === 'rolled-back'
          ? `The update to ${r.to} failed and was rolled back: ${r.reason}`
          : `${r.outcome}: ${r.reason ?? ''}`,
      r.outcome === 'rolled-back',
    );
  }),
);
$('check-now').addEventListener('click', (e) =>
  busy(e.target, async () => {
    const r = await api('POST', '/api/check-now');
    await refresh();
    say(
      r.outcome === 'up-to-date'
        ? 'Up to date.'
        : r.outcome === 'staged'
          ? `${r.to} is staged for the maintenance window.`
          : `${r.outcome} ${r.to}`,
    );
  }),
);
$('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  const button = e.target.querySelector('button');
  busy(button, async () => {
    const s = (await api('GET', '/api/config')).settings;
    const want = {
      'update.channel': $('channel').value,
      'update.check-interval': $('interval').value,
      'update.maintenance-window': $('window').value,
      'update.security-bypass-window': String($('bypass').checked),
      'update.keep': String($('keep').value),
    };
    for (const [key, value] of Object.entries(want))
      if (String(s[key]) !== value) await api('PUT', '/api/config', { key, value });
    await refresh();
    say('Settings saved.');
  });
});
refresh().catch((err) => say(err.message, true));
