import { readFile, stat, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { SlipwayError } from '../../core/errors.ts';
import { parseDuration, formatDuration } from '../../core/schedule/duration.ts';
import { nextWindowStart, parseWindows } from '../../core/schedule/window.ts';
import { Layout } from '../../agent/layout.ts';
import { exists } from '../../io/atomic-write.ts';
import { CONFIG_KEYS, getKey, readAgentConfig, setKey, writeAgentConfig } from '../../agent/config.ts';
import type { ApplyResult, CheckResult } from '../../agent/instance.ts';
import type { StatusReport } from '../../agent/report.ts';
import type { HistoryEntry } from '../../agent/state.ts';
import { findAgent } from '../../agent/remote.ts';
import { createOutput, type Output } from '../output.ts';

interface Flags {
  root?: string;
  feed?: string;
  channel?: string;
  trustedRoot?: string;
  trustedRootSha256?: string;
  version?: string;
  port?: string;
  database?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
  limit?: string;
}

/** --root, then $SLIPWAY_ROOT, then the current folder when it is an install root. */
async function rootOf(flags: Flags): Promise<Layout> {
  const given = flags.root ?? process.env.SLIPWAY_ROOT;
  if (given) return new Layout(given);
  if (await exists(join(process.cwd(), 'agent.json'))) return new Layout(process.cwd());
  throw new SlipwayError('USAGE', 'pass --root <dir> (the install root) or set SLIPWAY_ROOT');
}

async function openInstance(layout: Layout, out: Output) {
  const { Instance } = await import('../../agent/instance.ts');
  return Instance.open(layout.root, { log: (l) => out.progress(l) });
}

function describeApply(r: ApplyResult): string {
  switch (r.outcome) {
    case 'up-to-date':
      return r.reason
        ? `up to date at ${r.from ?? 'nothing'}; ${r.reason}`
        : `up to date (${r.from ?? 'nothing installed'})`;
    case 'staged':
      return (
        r.reason ?? `staged ${r.to}; it applies at the next maintenance window${r.applyAt ? ` (${r.applyAt})` : ''}`
      );
    case 'updated':
      return `updated ${r.from ?? 'nothing'} → ${r.to} in ${formatDuration(r.ms)}${r.health ? ` (healthy after ${r.health.attempts} probes)` : ''}`;
    case 'rolled-back':
      return r.reason?.startsWith('dry run')
        ? r.reason
        : `update to ${r.to} failed and was rolled back to ${r.from ?? 'nothing'}: ${r.reason}`;
  }
}

/** slipway install */
export async function installCommand(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  if (!flags.feed)
    throw new SlipwayError('USAGE', 'pass --feed <url>, the address the maintainer publishes the feed at');
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535))
    throw new SlipwayError('USAGE', `--port expects a port number, got "${flags.port}"`);
  const root = resolve(flags.root ?? process.env.SLIPWAY_ROOT ?? '');
  if (!flags.root && !process.env.SLIPWAY_ROOT)
    throw new SlipwayError('USAGE', 'pass --root <dir>: where the instance is installed (e.g. /opt/app)');
  if (flags.dryRun) {
    out.result(`would install the newest ${flags.channel ?? 'stable'} release from ${flags.feed} into ${root}`, {
      root,
      feed: flags.feed,
      channel: flags.channel ?? 'stable',
      dryRun: true,
    });
    return 0;
  }
  const { install } = await import('../../agent/install.ts');
  const r = await install({
    root,
    feed: flags.feed,
    channel: flags.channel ?? 'stable',
    ...(flags.trustedRoot ? { trustedRoot: resolve(flags.trustedRoot) } : {}),
    ...(flags.trustedRootSha256 ? { trustedRootSha256: flags.trustedRootSha256 } : {}),
    ...(flags.version ? { version: flags.version } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(flags.database ? { database: flags.database } : {}),
    progress: (s) => out.progress(s),
    log: (l) => out.progress(l),
  });
  out.result(
    r.outcome === 'updated'
      ? `installed ${r.to} in ${root} (${formatDuration(r.ms)}); start it with: slipway agent --root ${root}`
      : describeApply(r),
    r,
  );
  return r.outcome === 'rolled-back' ? 1 : 0;
}

/** slipway agent */
export async function agentCommand(flags: Flags): Promise<number> {
  const layout = await rootOf(flags);
  const { Agent } = await import('../../agent/agent.ts');
  const agent = await Agent.create(layout.root, {
    log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
  });
  await agent.start();
  await new Promise<void>((done) => {
    const stop = (): void => void agent.stop().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** slipway update check */
export async function updateCheck(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const api = await findAgent(layout);
  const r: CheckResult = api
    ? await api.call<CheckResult>('GET', '/api/check')
    : await (await openInstance(layout, out)).check();
  const t = r.selection.target;
  const lines = [`${r.current ?? 'nothing installed'} on ${r.channel}`];
  if (!t) lines.push('up to date');
  else {
    lines.push(
      `available: ${t.version}${t.channel !== r.channel ? ` (${t.channel})` : ''}${r.selection.security ? `  SECURITY (${r.selection.security})` : ''}${t.breaking ? '  BREAKING' : ''}`,
    );
    if (r.selection.steppingStone)
      lines.push(
        `  ${r.selection.newest!.version} is newer but needs ${r.selection.newest!.minimumVersion} first; ${t.version} is the stepping stone`,
      );
    if (r.held) lines.push(`  held: it failed before (${r.held})`);
    if (r.manifest?.notes) lines.push('', r.manifest.notes.trimEnd());
  }
  for (const y of r.selection.yanked) lines.push(`  ${y.version} was yanked: ${y.yanked!.reason}`);
  out.result(lines.join('\n'), r);
  return 0;
}

/** slipway update [--version v] */
export async function update(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const api = await findAgent(layout);
  const body = { ...(flags.version ? { version: flags.version } : {}), force: flags.force === true };
  let r: ApplyResult;
  if (flags.dryRun) {
    r = await (await openInstance(layout, out)).update({ ...body, dryRun: true });
  } else if (api) {
    out.progress(`asking the agent at ${api.url}`);
    r = await api.call<ApplyResult>('POST', '/api/update', body);
  } else {
    r = await (await openInstance(layout, out)).update({ ...body, progress: (s) => out.progress(s) });
  }
  out.result(flags.dryRun ? `would update ${r.from ?? 'nothing'} → ${r.to || r.from}` : describeApply(r), {
    ...r,
    dryRun: flags.dryRun === true,
  });
  return r.outcome === 'rolled-back' ? 1 : 0;
}

/** slipway rollback [--version v] */
export async function rollback(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const api = flags.dryRun ? null : await findAgent(layout);
  const body = flags.version ? { version: flags.version } : {};
  const r = api
    ? await api.call<ApplyResult>('POST', '/api/rollback', body)
    : await (await openInstance(layout, out)).rollback({ ...body, dryRun: flags.dryRun === true });
  out.result(
    r.reason?.startsWith('dry run')
      ? r.reason
      : `rolled back ${r.from} → ${r.to} in ${formatDuration(r.ms)}${r.health && !r.health.healthy ? `; WARNING: ${r.to} is not healthy (${r.health.last})` : ''}`,
    r,
  );
  return 0;
}

/** slipway status */
export async function status(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const api = await findAgent(layout);
  let s: StatusReport;
  if (api) s = await api.call<StatusReport>('GET', '/api/status');
  else {
    const { describeStatus } = await import('../../agent/report.ts');
    s = await describeStatus(await openInstance(layout, out));
  }
  const lines = [
    `${s.current ?? 'nothing installed'} on ${s.channel} from ${s.feed}`,
    `  agent: ${s.agent.running ? `running (pid ${s.agent.pid}), app ${s.agent.appRunning ? 'running' : 'stopped'}` : 'not running'}`,
    `  kept for rollback: ${s.kept.map((k) => k.version).join(', ') || '—'}`,
    `  maintenance window: ${s.window.windows}${s.window.next ? `; next ${s.window.next}` : ''}`,
    ...(s.staged
      ? [
          `  staged: ${s.staged.version}${s.staged.security ? ` (security: ${s.staged.security})` : ''}, applies ${s.staged.applyAt ?? 'now'}`,
        ]
      : []),
    ...(s.lastCheck
      ? [
          `  last check: ${s.lastCheck.at}${s.lastCheck.available ? `, ${s.lastCheck.available} available` : ', up to date'}${s.lastCheck.error ? `, error: ${s.lastCheck.error}` : ''}`,
        ]
      : []),
    ...(s.pending ? [`  PENDING RECOVERY: ${s.pending}`] : []),
    ...Object.entries(s.rejected).map(([v, why]) => `  held back: ${v} (${why})`),
  ];
  out.result(lines.join('\n'), s);
  return 0;
}

/** slipway history */
export async function history(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const { readHistory } = await import('../../agent/state.ts');
  let entries: HistoryEntry[] = await readHistory(layout.history);
  const limit = Number(flags.limit ?? '50');
  entries = entries.slice(-limit);
  out.result(
    entries
      .map(
        (e) =>
          `${e.at}  ${e.event.padEnd(14)} ${e.from ?? ''}${e.to ? ` → ${e.to}` : ''}${e.ms !== undefined ? ` (${formatDuration(e.ms)})` : ''}${e.reason ? `  ${e.reason}` : ''}`,
      )
      .join('\n') || 'no history yet',
    { history: entries },
  );
  return 0;
}

/** slipway config get|set|list */
export async function configGet(flags: Flags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const key = args[0]!;
  if (!CONFIG_KEYS[key])
    throw new SlipwayError('USAGE', `unknown setting "${key}"; known: ${Object.keys(CONFIG_KEYS).join(', ')}`);
  const { config } = await readAgentConfig(layout.agentConfig, new Date());
  const value = getKey(config, key);
  out.result(typeof value === 'string' ? value : JSON.stringify(value ?? null), { key, value });
  return 0;
}

export async function configSet(flags: Flags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const [key, value] = args as [string, string];
  const { config } = await readAgentConfig(layout.agentConfig, new Date());
  const next = setKey(config, key, value);
  if (flags.dryRun) {
    out.result(`would set ${key} = ${JSON.stringify(getKey(next, key))}`, {
      key,
      value: getKey(next, key),
      dryRun: true,
    });
    return 0;
  }
  const api = await findAgent(layout);
  if (api) await api.call('PUT', '/api/config', { key, value });
  else {
    await writeAgentConfig(layout.agentConfig, next);
    const { appendHistory } = await import('../../agent/state.ts');
    await appendHistory(layout.history, {
      at: new Date().toISOString(),
      event: 'config-changed',
      reason: `${key} = ${JSON.stringify(getKey(next, key))}`,
    });
  }
  out.result(`${key} = ${JSON.stringify(getKey(next, key))}`, { key, value: getKey(next, key) });
  return 0;
}

export async function configList(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const { config, warnings } = await readAgentConfig(layout.agentConfig, new Date());
  for (const w of warnings) out.warn(w);
  const rows = Object.entries(CONFIG_KEYS).map(([k, spec]) => ({ key: k, value: getKey(config, k), help: spec.help }));
  out.result(
    rows.map((r) => `${r.key.padEnd(30)} ${JSON.stringify(r.value ?? null).padEnd(24)} ${r.help}`).join('\n'),
    { settings: Object.fromEntries(rows.map((r) => [r.key, r.value])) },
  );
  return 0;
}

interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
}

/** slipway doctor */
export async function doctor(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const checks: Check[] = [];
  const add = (name: string, ok: boolean | 'warn', detail: string) => checks.push({ name, ok, detail });
  const [major] = process.versions.node.split('.').map(Number);
  add('node', (major ?? 0) >= 22, `Node.js ${process.version}${(major ?? 0) >= 22 ? '' : ' (22 or newer needed)'}`);
  let instance: Awaited<ReturnType<typeof openInstance>> | null = null;
  try {
    instance = await openInstance(layout, out);
    add(
      'settings',
      instance.warnings.length ? 'warn' : true,
      instance.warnings.length ? instance.warnings.join('; ') : `${layout.agentConfig} is valid`,
    );
  } catch (error) {
    add('settings', false, (error as Error).message);
  }
  if (instance) {
    const i = instance;
    try {
      const root = JSON.parse(await readFile(join(layout.tuf, 'root.json'), 'utf8')) as {
        signed: { version: number; expires: string };
      };
      const left = Date.parse(root.signed.expires) - Date.now();
      add(
        'trusted root',
        left > 0 ? true : 'warn',
        `root v${root.signed.version}, expires ${root.signed.expires}${left > 0 ? '' : ' (expired: the feed must have rotated to newer roots, which the next refresh follows)'}`,
      );
    } catch (error) {
      add('trusted root', false, `${join(layout.tuf, 'root.json')}: ${(error as Error).message}`);
    }
    try {
      const client = i.feedClient();
      await client.refresh();
      const idx = await client.index(i.config.update.channel);
      add(
        'feed',
        true,
        `${i.config.feed.url} is reachable, signed and fresh; ${i.config.update.channel} lists ${idx.releases.length} release(s)`,
      );
    } catch (error) {
      add('feed', false, (error as Error).message);
    }
    try {
      const s = await statfs(layout.root);
      const free = s.bavail * s.bsize;
      add('disk', free > 512 * 1048576 ? true : 'warn', `${Math.round(free / 1048576)} MiB free in ${layout.root}`);
    } catch (error) {
      add('disk', false, (error as Error).message);
    }
    try {
      const windows = parseWindows(i.config.update['maintenance-window']);
      const next = nextWindowStart(windows, new Date(), i.serverZone);
      add(
        'maintenance window',
        true,
        windows.length === 0
          ? 'none: updates apply as soon as they are found'
          : `${windows.map((w) => w.text).join(', ')}; next opens ${next?.toISOString()} (server zone ${i.serverZone})`,
      );
    } catch (error) {
      add('maintenance window', false, (error as Error).message);
    }
    try {
      add(
        'check interval',
        true,
        `every ${formatDuration(parseDuration(i.config.update['check-interval']))} (±10% jitter)`,
      );
    } catch (error) {
      add('check interval', false, (error as Error).message);
    }
    try {
      const c = await i.consistency();
      add(
        'version and schema',
        c.ok,
        c.ok
          ? `${c.link ?? 'nothing'} installed; database schema ${c.db}, as it expects${c.config !== null ? `; config_version ${c.config}` : ''}`
          : c.problems.join('; '),
      );
    } catch (error) {
      add('version and schema', false, (error as Error).message);
    }
    const api = await findAgent(layout);
    if (api) {
      try {
        const s = await api.call<StatusReport>('GET', '/api/status');
        add('agent', true, `running (pid ${s.agent.pid}), API ${api.url}`);
        const state = await i.state();
        if (state.current) {
          const { manifest, dir } = await i.manifestOf(state.current);
          const { waitHealthy } = await import('../../agent/health.ts');
          const h = await waitHealthy({
            ...i.runtime(state.current, dir, manifest).health,
            successes: 1,
            timeout: '5s',
          });
          add(
            'app health',
            h.healthy,
            h.healthy ? `${state.current} answers its health check` : `${state.current} is not healthy: ${h.last}`,
          );
        }
      } catch (error) {
        add('agent', false, `the agent API does not answer: ${(error as Error).message}`);
      }
    } else add('agent', 'warn', `not running; start it with slipway agent --root ${layout.root}`);
    try {
      const mode = (await stat(layout.token)).mode & 0o777;
      add(
        'API token',
        (mode & 0o077) === 0,
        `${layout.token} mode ${mode.toString(8)}${mode & 0o077 ? ' (readable by others: chmod 600 it)' : ''}`,
      );
    } catch {
      add('API token', 'warn', `${layout.token} is missing; the agent creates it when it starts`);
    }
  }
  const mark = (c: Check) => (c.ok === true ? '✓' : c.ok === 'warn' ? '!' : '✗');
  const failed = checks.filter((c) => c.ok === false).length;
  out.result(
    [
      ...checks.map((c) => `${mark(c)} ${c.name.padEnd(20)} ${c.detail}`),
      failed ? `${failed} check(s) failed` : 'all checks passed',
    ].join('\n'),
    { ok: failed === 0, checks },
  );
  return failed ? 1 : 0;
}

/** slipway version: Slipway's line, and the managed app's in the same form. */
export async function version(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const require = createRequire(import.meta.url);
  const pkg = require('../../../package.json') as { version: string };
  let build: { build: string; commit: string } = { build: 'source', commit: 'unknown' };
  try {
    build = require('../../build-info.json') as typeof build;
  } catch {
    // Running from source: no build stamp.
  }
  const channel = (v: string) =>
    /-(nightly|alpha)/.test(v) || v.includes('.nightly.') ? 'nightly' : v.includes('-') ? 'beta' : 'stable';
  const lines = [
    `slipway v${pkg.version} (${channel(pkg.version)}) build ${build.build} commit ${build.commit.slice(0, 7)}`,
  ];
  const data: Record<string, unknown> = { slipway: { version: pkg.version, channel: channel(pkg.version), ...build } };
  const given = flags.root ?? process.env.SLIPWAY_ROOT;
  if (given) {
    const layout = new Layout(given);
    const { readState } = await import('../../agent/state.ts');
    const s = await readState(layout.stateFile);
    const kept = s.kept.find((k) => k.version === s.current);
    if (s.current && kept) {
      const { Instance } = await import('../../agent/instance.ts');
      const i = await Instance.open(layout.root);
      const name = (await i.manifestOf(s.current)).manifest.name;
      lines.push(
        `${name} v${s.current} (${kept.channel}) build ${kept.buildTime ?? kept.installedAt} commit ${(kept.commit ?? 'unknown').slice(0, 7)}`,
      );
      data.app = {
        name,
        version: s.current,
        channel: kept.channel,
        build: kept.buildTime ?? null,
        commit: kept.commit,
      };
    }
  }
  out.result(lines.join('\n'), data);
  return 0;
}

/** slipway ui: the address of the Settings › Updates page of the running agent, signed in. */
export async function ui(flags: Flags): Promise<number> {
  const out = createOutput(flags.json === true);
  const layout = await rootOf(flags);
  const api = await findAgent(layout);
  if (!api)
    throw new SlipwayError(
      'AGENT_NOT_RUNNING',
      `no agent runs for ${layout.root}; start it with slipway agent --root ${layout.root}`,
    );
  const token = (await readFile(layout.token, 'utf8')).trim();
  // The token rides in the fragment: the browser never sends it to a server or writes it in a log.
  const url = `${api.url}/#token=${token}`;
  out.result(`Open ${url}\n(the link signs you in; keep it to yourself)`, { url });
  return 0;
}
