import { readFile } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';
import { optionalBoolean, optionalString, type Route, type StaticFile } from '../http/router.ts';
import { CONFIG_KEYS, getKey, setKey, writeAgentConfig } from './config.ts';
import type { ApplyResult, Instance } from './instance.ts';
import { describeStatus } from './report.ts';
import { appendHistory } from './state.ts';

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
};

/** The Settings › Updates page: static files next to this module (copied into dist/ by the build). */
export async function loadPage(): Promise<Route[]> {
  const dir = new URL('./ui/', import.meta.url);
  const files: [string, string, string][] = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/ui.js', 'ui.js', 'text/javascript; charset=utf-8'],
    ['/ui.css', 'ui.css', 'text/css; charset=utf-8'],
  ];
  const routes: Route[] = [];
  for (const [path, name, type] of files) {
    const file: StaticFile = { type, body: await readFile(new URL(name, dir)), headers: PAGE_HEADERS };
    routes.push({ method: 'GET', path, file });
  }
  return routes;
}

export interface AgentControl {
  instance: Instance;
  app: { running(): unknown };
  /** Runs a change after the agent's own work in progress. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  checkAndUpdate(): Promise<ApplyResult>;
}

/** The agent's local API: GET status|check|history|config, PUT config, POST update|rollback|check-now. */
export function apiRoutes(agent: AgentControl): Route[] {
  const i = agent.instance;
  return [
    { method: 'GET', path: '/api/status', handle: () => describeStatus(i, agent) },
    { method: 'GET', path: '/api/check', handle: () => i.check() },
    { method: 'GET', path: '/api/history', handle: async () => ({ history: await i.history() }) },
    {
      method: 'GET',
      path: '/api/config',
      handle: () => ({ settings: Object.fromEntries(Object.keys(CONFIG_KEYS).map((k) => [k, getKey(i.config, k)])) }),
    },
    {
      method: 'PUT',
      path: '/api/config',
      handle: async ({ body }) => {
        const key = optionalString(body, 'key');
        const value = optionalString(body, 'value');
        if (key === undefined || value === undefined)
          throw new SlipwayError('USAGE', 'send {"key": "update.channel", "value": "beta"}');
        const next = setKey(i.config, key, value);
        await writeAgentConfig(i.layout.agentConfig, next);
        await i.reloadConfig();
        await i.log(`config: ${key} = ${value}`);
        await appendHistory(i.layout.history, {
          at: new Date().toISOString(),
          event: 'config-changed',
          reason: `${key} = ${JSON.stringify(getKey(i.config, key))}`,
        });
        return { key, value: getKey(i.config, key) };
      },
    },
    {
      method: 'POST',
      path: '/api/update',
      handle: ({ body }) => {
        const version = optionalString(body, 'version');
        const force = optionalBoolean(body, 'force') === true;
        return agent.serial(() => i.update({ ...(version ? { version } : {}), force }));
      },
    },
    {
      method: 'POST',
      path: '/api/rollback',
      handle: ({ body }) => {
        const version = optionalString(body, 'version');
        return agent.serial(() => i.rollback(version ? { version } : {}));
      },
    },
    { method: 'POST', path: '/api/check-now', handle: () => agent.serial(() => agent.checkAndUpdate()) },
  ];
}
