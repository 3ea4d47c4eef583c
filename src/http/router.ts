import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../io/node-http.ts';
import { ERROR_CATALOGUE, SlipwayError, type ErrorCode } from '../core/errors.ts';

/**
 * One small node:http stack for Slipway's local servers (the agent's API and its web page): a
 * Host check against DNS rebinding, a bearer token compared in constant time, JSON bodies with a
 * size cap, a content type and a deadline, and an HTTP status derived from the error code. A bad
 * request gets 400/408/413/415, never 500; 500 is kept for bugs.
 */
export type Method = 'GET' | 'POST' | 'PUT';

export interface RouteRequest {
  method: Method;
  path: string;
  /** The parsed JSON body (an object), or {} when none was sent. */
  body: Record<string, unknown>;
  /** Who sent it: the install's own token (name "root", role admin) or a named operator. */
  principal: Principal;
}

export interface Principal {
  name: string;
  role: 'admin' | 'viewer';
}

export interface StaticFile {
  type: string;
  body: Buffer;
  headers?: Record<string, string>;
}

export interface Route {
  method: Method;
  path: string;
  /** Static content, served without the token (the page itself; the token rides in its fragment). */
  file?: StaticFile;
  handle?: (req: RouteRequest) => unknown;
  /** Who may call it: admins only (the default), or viewers too (read-only routes). */
  viewers?: boolean;
}

export interface RouterOptions {
  /** `Host` headers answered (127.0.0.1:<port>, localhost:<port>); others get 421. */
  hosts: () => ReadonlySet<string>;
  /** The bearer token every non-static route needs (the install's own, role admin). */
  token: string;
  /** Other tokens (named operators): who they belong to, or null. */
  authenticate?: (token: string) => Promise<Principal | null>;
  /** Where the token is kept, named in the 401 message. */
  tokenHint: string;
  /** Largest body accepted (default 64 KiB). */
  bodyLimit?: number;
  /** How long a client may take to send its body (default 10 s). */
  bodyTimeoutMs?: number;
  /** Called for each request let through: a page file, or an authenticated call (not a refused one). */
  accepted?: () => void;
}

/** HTTP status for an error code: 409 for a lock held, 400 for what the caller can fix, else 500. */
export function statusFor(code: ErrorCode): number {
  if (code === 'LOCKED') return 409;
  if (code === 'BUG') return 500;
  const callerFixable: readonly ErrorCode[] = [
    'NOT_PUBLISHED',
    'NOT_KEPT',
    'YANKED',
    'PREFLIGHT',
    'NOTHING_TO_ROLL_BACK',
    'NOT_INSTALLED',
  ];
  if (ERROR_CATALOGUE[code].exit === 2 || callerFixable.includes(code) || code.startsWith('CONFIG_')) return 400;
  return 500;
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = Buffer.from(JSON.stringify(data));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** Reads a JSON object body under the size cap and deadline. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(new HttpError(413, 'TOO_LARGE', `bodies are at most ${limit} bytes`));
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return Promise.resolve({});
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    return Promise.reject(new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.pause();
      reject(new HttpError(408, 'REQUEST_TIMEOUT', `the body did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        req.pause();
        reject(new HttpError(413, 'TOO_LARGE', `bodies are at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('end', () => {
      clearTimeout(timer);
      let data: unknown;
      try {
        data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        reject(new HttpError(400, 'BAD_JSON', `the body is not JSON: ${(error as Error).message}`));
        return;
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data))
        reject(new HttpError(400, 'BAD_JSON', 'the body must be a JSON object'));
      else resolve(data as Record<string, unknown>);
    });
  });
}

/** A request handler for node:http serving these routes. */
export function createRouter(routes: readonly Route[], options: RouterOptions) {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const limit = options.bodyLimit ?? 64 * 1024;
  const timeoutMs = options.bodyTimeoutMs ?? 10_000;
  const table = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      // Only the names this server was reached by: a page elsewhere cannot reach it through DNS rebinding.
      if (!options.hosts().has(req.headers.host ?? ''))
        throw new HttpError(421, 'MISDIRECTED', 'the agent answers only on 127.0.0.1 and localhost');
      const path = (req.url ?? '/').split('?')[0]!;
      const route = table.get(`${req.method} ${path}`);
      if (!route) {
        const known = routes.some((r) => r.path === path);
        throw known
          ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`)
          : new HttpError(404, 'NOT_FOUND', `${path} is not a route of this server`);
      }
      if (route.file) {
        options.accepted?.();
        res.writeHead(200, {
          'content-type': route.file.type,
          'content-length': String(route.file.body.length),
          ...route.file.headers,
        });
        res.end(route.file.body);
        return;
      }
      const header = req.headers.authorization ?? '';
      const got = Buffer.from(header);
      let principal: Principal | null = null;
      if (got.length === expected.length && timingSafeEqual(got, expected)) principal = { name: 'root', role: 'admin' };
      else if (options.authenticate && header.startsWith('Bearer '))
        principal = await options.authenticate(header.slice('Bearer '.length).trim());
      if (!principal) {
        req.resume();
        throw new HttpError(
          401,
          'UNAUTHORIZED',
          `send the token in ${options.tokenHint} (or an operator's, from slipway operator add) as Authorization: Bearer <token>`,
        );
      }
      options.accepted?.();
      if (principal.role !== 'admin' && !route.viewers) {
        req.resume();
        throw new HttpError(
          403,
          'FORBIDDEN',
          `${principal.name} is a viewer; ${req.method} ${path} needs an admin operator`,
        );
      }
      const body = await readBody(req, limit, timeoutMs);
      send(res, 200, await route.handle!({ method: route.method, path, body, principal }));
    })().catch((error: unknown) => {
      if (error instanceof HttpError) {
        send(
          res,
          error.status,
          { error: error.code, message: error.message },
          error.status === 401
            ? { 'www-authenticate': 'Bearer' }
            : error.status === 408 || error.status === 413
              ? { connection: 'close' }
              : {},
        );
        if (error.status === 408 || error.status === 413) res.once('finish', () => req.socket.destroy());
      } else if (error instanceof SlipwayError) {
        const e = error as SlipwayError;
        send(res, statusFor(e.code), { error: e.code, message: e.message, hint: e.hint });
      } else send(res, 500, { error: 'BUG', message: `this is a bug in Slipway: ${(error as Error).message}` });
    });
  };
}

/** A JSON body field that must be a string when present. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SlipwayError('USAGE', `"${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new SlipwayError('USAGE', `"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Listens on host:port (0: any free one) and gives the address and a close that ends open
 * connections. With `retryMs`, a port that is taken is tried again every 100 ms for that long
 * (a process that re-executes itself takes back the port it closed a moment ago).
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { host: string; port: number; requestTimeoutMs?: number; retryMs?: number },
): Promise<{ server: Server; url: string; port: number; close(graceMs?: number): Promise<void> }> {
  const server = http.createServer(
    { requestTimeout: options.requestTimeoutMs ?? 60_000, headersTimeout: 10_000 },
    handler,
  );
  const until = Date.now() + (options.retryMs ?? 0);
  for (;;) {
    try {
      await bind(server, options);
      break;
    } catch (error) {
      if (options.port === 0 || Date.now() >= until || !(error instanceof SlipwayError)) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    url: `http://${options.host}:${port}`,
    // With graceMs, connections already taken are given that long to be answered (a connection
    // just accepted has no request yet and looks idle: it is not cut at once); then, or without
    // it, every connection is ended.
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (graceMs <= 0) {
          server.closeAllConnections();
          return;
        }
        // Keep-alive connections left idle after that first moment end then, not at the grace's end.
        setTimeout(() => server.closeIdleConnections(), Math.min(500, graceMs)).unref();
        setTimeout(() => server.closeAllConnections(), graceMs).unref();
      }),
  };
}

function bind(server: Server, options: { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new SlipwayError('PORT_IN_USE', `cannot listen on ${options.host}:${options.port}: ${error.code}`, {
              cause: error,
            })
          : error,
      ),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
}
