import { readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { affectingText } from '../core/advisory/feed.ts';
import { formatDuration, parseDuration } from '../core/schedule/duration.ts';
import { nextWindowStart, parseWindows } from '../core/schedule/window.ts';
import { waitHealthy } from './health.ts';
import type { Instance } from './instance.ts';
import type { Layout } from './layout.ts';
import { isSingleExecutable } from '../io/packaged.ts';
import { outbox } from './notify.ts';
import { readOperators } from './operators.ts';
import { findAgent } from './remote.ts';
import type { StatusReport } from './report.ts';

export interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
}

/**
 * `slipway doctor`: every check of an instance's health, each with a line that says what is wrong
 * and how to fix it. Opening the instance is itself a check (its settings).
 */
export async function diagnose(layout: Layout, open: () => Promise<Instance>, now = new Date()): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean | 'warn', detail: string) => checks.push({ name, ok, detail });
  const [major] = process.versions.node.split('.').map(Number);
  if (isSingleExecutable())
    add(
      'node',
      true,
      `Node.js ${process.version} built into this executable (an app whose start uses {node} needs node on PATH)`,
    );
  else
    add('node', (major ?? 0) >= 22, `Node.js ${process.version}${(major ?? 0) >= 22 ? '' : ' (22 or newer needed)'}`);
  let instance: Instance | null = null;
  try {
    instance = await open();
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
      const left = Date.parse(root.signed.expires) - now.getTime();
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
      const channels = await client.channels();
      if (!channels.includes(i.config.update.channel))
        throw new Error(
          `update.channel is "${i.config.update.channel}", which the feed does not have (it has ${channels.join(', ')}): slipway config set update.channel <channel>`,
        );
      const idx = await client.index(i.config.update.channel);
      add(
        'feed',
        true,
        `${i.config.feed.url} is reachable, signed and fresh; ${i.config.update.channel} lists ${idx.releases.length} release(s)`,
      );
      const current = (await i.state()).current;
      const { notices } = await i.notices(client, current);
      const affected = notices.advisories.map((a) => affectingText(current!, a));
      add(
        'advisories',
        affected.length === 0,
        affected.length === 0
          ? `no published advisory affects ${current ?? 'this instance'}`
          : `${affected.join('; ')}; update with slipway update`,
      );
      if (notices.support)
        add(
          'support',
          notices.support.warning === null ? true : 'warn',
          notices.support.warning ?? `${current} is on ${notices.support.line}, which is supported`,
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
      const next = nextWindowStart(windows, now, i.serverZone);
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
      const state = await i.state();
      const a = state.attention;
      add(
        'way back',
        a === null,
        a === null
          ? 'no failed rollback waiting for a person'
          : `${a.problem} (at ${a.at}); the instance runs ${a.running ?? 'nothing'}. To fix, in order: ${a.fix.map((f, n) => `${n + 1}. ${f}`).join(' ')}`,
      );
    } catch (error) {
      add('way back', false, (error as Error).message);
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
    try {
      const operators = await readOperators(layout);
      const { pending, failed } = await outbox(layout);
      add(
        'notifications',
        failed.length > 0 ? 'warn' : true,
        `${operators.length} operator(s); ${pending.length} notification(s) waiting${failed.length > 0 ? `, ${failed.length} failed for good (slipway notify status shows why; --retry sends them again)` : ''}`,
      );
    } catch (error) {
      add('notifications', false, (error as Error).message);
    }
    const api = await findAgent(layout);
    if (api) {
      try {
        const s = await api.call<StatusReport>('GET', '/api/status');
        add('agent', true, `running (pid ${s.agent.pid}), API ${api.url}`);
        const state = await i.state();
        if (state.current) {
          const { manifest, dir } = await i.manifestOf(state.current);
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
  return checks;
}
