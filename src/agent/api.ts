import { readPackaged } from '../io/packaged.ts';
import { PAGE_HEADERS } from './page-headers.ts';
import { SlipwayError } from '../core/errors.ts';
import { optionalBoolean, optionalString, type Route, type StaticFile } from '../http/router.ts';
import { CONFIG_KEYS, getKey, setKey, writeAgentConfig } from './config.ts';
import type { ApplyResult, Instance } from './instance.ts';
import { bannerOf, bannerSource } from './banner.ts';
import { describeStatus } from './report.ts';
import {
  changeOperators,
  NOTIFY_EVENT_HELP,
  NOTIFY_EVENTS,
  parseEvents,
  readOperators,
  viewOf,
  withPreferences,
  type Operator,
  type Preferences,
} from './operators.ts';
import { appendHistory } from './state.ts';

/** The Settings › Updates page: static files next to this module (copied into dist/ by the build). */
export async function loadPage(): Promise<Route[]> {
  const files: [string, string, string][] = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/ui.js', 'ui.js', 'text/javascript; charset=utf-8'],
    ['/ui.css', 'ui.css', 'text/css; charset=utf-8'],
    // The <slipway-banner> element a host app puts at the top of its dashboard (see slipway/http).
    ['/banner.js', 'banner.js', 'text/javascript; charset=utf-8'],
  ];
  const routes: Route[] = [];
  for (const [path, name, type] of files) {
    const body = await readPackaged(`agent/ui/${name}`, () => new URL(`./ui/${name}`, import.meta.url));
    const file: StaticFile = { type, body, headers: PAGE_HEADERS };
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
  selfUpdate(options: { force?: boolean }): Promise<unknown>;
}

/** The agent's local API: GET status|check|history|config, PUT config, POST update|rollback|check-now. */
export function apiRoutes(agent: AgentControl): Route[] {
  const i = agent.instance;
  const banner = bannerSource(i);
  /** A change: the banner is read afresh after it. */
  const change = <T>(fn: () => Promise<T>): Promise<T> => agent.serial(fn).finally(() => banner.reset());
  return [
    { method: 'GET', path: '/api/status', viewers: true, handle: () => describeStatus(i, agent) },
    {
      method: 'GET',
      path: '/api/check',
      viewers: true,
      handle: async () => {
        const c = await i.check();
        return { ...c, banner: await bannerOf(c) };
      },
    },
    /** The read-only banner a host app shows at the top of its dashboard (cached for a minute). */
    { method: 'GET', path: '/api/banner', viewers: true, handle: () => banner.get() },
    { method: 'GET', path: '/api/history', viewers: true, handle: async () => ({ history: await i.history() }) },
    ...operatorRoutes(i),
    {
      method: 'GET',
      path: '/api/config',
      viewers: true,
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
        return change(() => i.update({ ...(version ? { version } : {}), force }));
      },
    },
    {
      method: 'POST',
      path: '/api/rollback',
      handle: ({ body }) => {
        const version = optionalString(body, 'version');
        return change(() => i.rollback(version ? { version } : {}));
      },
    },
    { method: 'POST', path: '/api/check-now', handle: () => change(() => agent.checkAndUpdate()) },
    /** The agent's own executable: a newer one from the feed, checked, switched to, re-executed into. */
    {
      method: 'POST',
      path: '/api/self-update',
      handle: ({ body }) => agent.selfUpdate({ force: optionalBoolean(body, 'force') === true }),
    },
  ];
}

/** Settings › Notifications: each operator reads and sets their own preferences; admins list everyone. */
function operatorRoutes(i: Instance): Route[] {
  const own = async (name: string): Promise<Operator> => {
    const o = (await readOperators(i.layout)).find((x) => x.name === name);
    if (!o)
      throw new SlipwayError(
        'USAGE',
        'the install token is not an operator and has no notification preferences; add one with slipway operator add <name>',
      );
    return o;
  };
  return [
    {
      method: 'GET',
      path: '/api/me',
      viewers: true,
      handle: async ({ principal }) => {
        const o = (await readOperators(i.layout)).find((x) => x.name === principal.name);
        return {
          name: principal.name,
          role: principal.role,
          operator: o ? viewOf(o) : null,
          events: NOTIFY_EVENT_HELP,
          email: Boolean(i.config.notify['smtp-host'] && i.config.notify['smtp-from']),
        };
      },
    },
    {
      method: 'PUT',
      path: '/api/me/notifications',
      viewers: true,
      handle: async ({ principal, body }) => {
        await own(principal.name);
        const prefs: Preferences = {};
        for (const key of ['email', 'webhook'] as const) {
          const v = body[key];
          if (v === undefined) continue;
          if (v !== null && typeof v !== 'string')
            throw new SlipwayError('USAGE', `"${key}" must be a string or null, got ${JSON.stringify(v)}`);
          prefs[key] = v === '' ? null : v;
        }
        if (body.events !== undefined) {
          if (!Array.isArray(body.events) || body.events.some((e) => typeof e !== 'string' || e.includes(',')))
            throw new SlipwayError('USAGE', `"events" must be a list of ${NOTIFY_EVENTS.join(', ')}`);
          prefs.events = parseEvents((body.events as string[]).join(',') || 'none');
        }
        const { operator, secret } = await changeOperators(i.layout, (all) => {
          const at = all.findIndex((x) => x.name === principal.name);
          const r = withPreferences(all[at]!, prefs);
          all[at] = r.operator;
          return { operators: all, result: r };
        });
        await i.log(`notifications: ${principal.name} changed their preferences`);
        return { operator: viewOf(operator), ...(secret ? { webhookSecret: secret } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/operators',
      handle: async () => ({ operators: (await readOperators(i.layout)).map(viewOf) }),
    },
  ];
}
