import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlipwayError } from '../core/errors.ts';
import { readPackaged } from '../io/packaged.ts';

/**
 * The update banner in a host app's own dashboard: this middleware serves, on the host app's
 * origin, `<prefix>/banner.js` (the <slipway-banner> element) and `<prefix>/banner.json` (the
 * agent's read-only GET /api/banner, fetched with a viewer operator's token that never reaches
 * the browser). Usable from node:http, connect/Express (`app.use(mw)`) or fastify (`onRequest`).
 *
 *   slipway operator add dashboard --role viewer --events none   # prints the token
 *   const mw = bannerMiddleware({ root: '/opt/app', token: process.env.SLIPWAY_BANNER_TOKEN });
 *   <script src="/slipway/banner.js" defer></script><slipway-banner></slipway-banner>
 */
export interface BannerOptions {
  /** The agent's URL (http://127.0.0.1:port); or `root`, to read it from <root>/state/api.json. */
  agentUrl?: string;
  root?: string;
  /** A viewer operator's token (slipway operator add <name> --role viewer). */
  token: string;
  /** Where the two routes live (default /slipway). */
  prefix?: string;
  /** How long an answer is reused (default 30 s): a busy dashboard does not hammer the agent. */
  cacheMs?: number;
}

type Next = (error?: unknown) => void;

export function bannerMiddleware(
  options: BannerOptions,
): (req: IncomingMessage, res: ServerResponse, next?: Next) => void {
  if (!options.token)
    throw new SlipwayError(
      'USAGE',
      'bannerMiddleware needs a viewer token (slipway operator add <name> --role viewer)',
    );
  if (!options.agentUrl && !options.root) throw new SlipwayError('USAGE', 'bannerMiddleware needs agentUrl or root');
  const prefix = (options.prefix ?? '/slipway').replace(/\/$/, '');
  const cacheMs = options.cacheMs ?? 30_000;
  let script: Buffer | null = null;
  let cached: { at: number; status: number; body: string } | null = null;

  const agentUrl = async (): Promise<string> => {
    if (options.agentUrl) return options.agentUrl;
    const api = JSON.parse(await readFile(`${options.root}/state/api.json`, 'utf8')) as { url: string };
    return api.url;
  };
  const fetchBanner = async (): Promise<{ status: number; body: string }> => {
    try {
      const r = await fetch(new URL('/api/banner', await agentUrl()), {
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = await r.text();
      return r.ok
        ? { status: 200, body }
        : { status: 502, body: JSON.stringify({ error: 'AGENT', message: `the agent answered HTTP ${r.status}` }) };
    } catch (error) {
      return {
        status: 503,
        body: JSON.stringify({
          error: 'AGENT_DOWN',
          message: `the Slipway agent cannot be reached: ${(error as Error).message}`,
        }),
      };
    }
  };
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };

  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== `${prefix}/banner.js` && path !== `${prefix}/banner.json`)) {
      if (next) next();
      else send(res, 404, 'application/json', JSON.stringify({ error: 'NOT_FOUND' }));
      return;
    }
    void (async () => {
      if (path.endsWith('.js')) {
        script ??= await readPackaged('agent/ui/banner.js', () => new URL('../agent/ui/banner.js', import.meta.url));
        send(res, 200, 'text/javascript; charset=utf-8', script);
        return;
      }
      // An error is kept a few seconds too: a dashboard full of clients does not hammer a down agent.
      if (!cached || Date.now() - cached.at > (cached.status === 200 ? cacheMs : Math.min(cacheMs, 5_000)))
        cached = { at: Date.now(), ...(await fetchBanner()) };
      send(res, cached.status, 'application/json; charset=utf-8', cached.body);
    })().catch((error: unknown) => {
      if (next) next(error);
      else send(res, 500, 'application/json', JSON.stringify({ error: 'BUG', message: (error as Error).message }));
    });
  };
}
