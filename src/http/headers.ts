import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlipwayError } from '../core/errors.ts';

/**
 * Headers a host app sends so clients see which version answers and what is going away, as the
 * server panel strategy asks: `X-AiPanel-Version: 0.4.2` on every response, and on deprecated
 * endpoints `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and `Link` relations pointing at the
 * deprecation notice and the successor. One function per request, usable from node:http, as a
 * connect/Express middleware, or in a fastify onRequest hook.
 */
export interface Deprecated {
  /** HTTP method, or any when left out. */
  method?: string;
  /** An exact path, a pattern with `:name` segments and a trailing `*`, or a RegExp. */
  path: string | RegExp;
  /** When it was (or will be) deprecated. */
  deprecated: Date;
  /** When it stops working. */
  sunset?: Date;
  /** Where the deprecation is explained (rel="deprecation"). */
  link?: string;
  /** What replaces it (rel="successor-version"). */
  successor?: string;
}

export interface HeaderOptions {
  /** The version header's name, e.g. X-AiPanel-Version. */
  versionHeader?: string;
  version?: string;
  deprecations?: readonly Deprecated[];
}

function matcher(path: string | RegExp): (p: string) => boolean {
  if (path instanceof RegExp) return (p) => path.test(p);
  const re = new RegExp(
    `^${path
      .split('/')
      .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
  );
  return (p) => re.test(p);
}

const valid = (d: Date): boolean => d instanceof Date && !Number.isNaN(d.getTime());

/** Builds the header setter once (patterns compiled, values formatted); bad rules fail here, not per request. */
export function apiHeaders(options: HeaderOptions): (method: string, path: string) => [string, string][] {
  if (options.versionHeader !== undefined && !/^[A-Za-z0-9-]+$/.test(options.versionHeader)) {
    throw new SlipwayError(
      'USAGE',
      `"${options.versionHeader}" is not a header name; expected letters, digits and dashes such as X-AiPanel-Version`,
    );
  }
  if (options.versionHeader !== undefined && !options.version)
    throw new SlipwayError('USAGE', `versionHeader ${options.versionHeader} needs the version to send`);
  const rules = (options.deprecations ?? []).map((d, i) => {
    if (!valid(d.deprecated)) throw new SlipwayError('USAGE', `deprecations[${i}].deprecated is not a valid date`);
    if (d.sunset !== undefined && !valid(d.sunset))
      throw new SlipwayError('USAGE', `deprecations[${i}].sunset is not a valid date`);
    if (d.sunset && d.sunset < d.deprecated)
      throw new SlipwayError(
        'USAGE',
        `deprecations[${i}]: the sunset (${d.sunset.toISOString()}) comes before the deprecation (${d.deprecated.toISOString()})`,
      );
    const headers: [string, string][] = [['Deprecation', `@${Math.floor(d.deprecated.getTime() / 1000)}`]];
    if (d.sunset) headers.push(['Sunset', d.sunset.toUTCString()]);
    const links = [
      d.link ? `<${d.link}>; rel="deprecation"; type="text/html"` : null,
      d.successor ? `<${d.successor}>; rel="successor-version"` : null,
    ].filter((l): l is string => l !== null);
    if (links.length > 0) headers.push(['Link', links.join(', ')]);
    return { method: d.method?.toUpperCase(), match: matcher(d.path), headers };
  });
  const always: [string, string][] = options.versionHeader ? [[options.versionHeader, options.version!]] : [];
  return (method, path) => {
    const p = path.split('?')[0]!;
    const rule = rules.find((r) => (r.method === undefined || r.method === method.toUpperCase()) && r.match(p));
    return rule ? [...always, ...rule.headers] : always;
  };
}

/** As a connect/Express middleware, or called first thing in a node:http handler. */
export function apiHeadersMiddleware(options: HeaderOptions) {
  const headersFor = apiHeaders(options);
  return (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    for (const [k, v] of headersFor(req.method ?? 'GET', req.url ?? '/')) res.setHeader(k, v);
    next?.();
  };
}
