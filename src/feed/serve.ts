import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCompress from '@fastify/compress';

/**
 * How long a file of the feed may be cached. timestamp.json changes on every publish and refresh:
 * a short max-age. Version- or hash-named files never change once written: immutable. The rest
 * (root.json, SHA256SUMS, install.sh…) a few minutes.
 */
export function cacheControlFor(path: string): string {
  const p = path.replace(/\\/g, '/');
  if (/(^|\/)metadata\/timestamp\.json$/.test(p)) return 'public, max-age=60, must-revalidate';
  if (/(^|\/)metadata\/\d+\.[\w-]+\.json$/.test(p) || /(^|\/)targets\/.*\/[0-9a-f]{64}\.[^/]+$/.test(p)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=300';
}

export interface ServeOptions {
  dir: string;
  host?: string;
  port?: number;
  /** One line per request to this function, when given. */
  log?: (line: string) => void;
}

/**
 * `slipway feed serve`: the feed folder over HTTP for development and small installs. @fastify/static
 * (on `send`) gives ETag / If-None-Match → 304, Range, HEAD and refuses paths out of the folder;
 * @fastify/compress gzips JSON and text for clients that accept it.
 */
export async function serveFeed(options: ServeOptions): Promise<{ url: string; server: FastifyInstance }> {
  const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
  await app.register(fastifyCompress, { global: true, threshold: 512, encodings: ['gzip', 'deflate'], customTypes: /^(application\/json|text\/)/ });
  await app.register(fastifyStatic, {
    root: resolve(options.dir),
    prefix: '/',
    etag: true,
    lastModified: true,
    acceptRanges: true,
    cacheControl: false,
    dotfiles: 'deny',
    index: false,
    list: false,
    setHeaders: (reply, path) => {
      void reply.header('cache-control', cacheControlFor(path));
    },
  });
  const log = options.log;
  if (log) app.addHook('onResponse', async (req, reply) => log(`${req.method} ${req.url} ${reply.statusCode}`));
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: address.replace('[::1]', 'localhost'), server: app };
}
