// The library route `feed serve` first took: fastify with @fastify/static and @fastify/compress,
// with the same cache headers. Kept so bench/feed.ts measures why serve.ts is hand-written.
//   node bench/lib/fastify-static-server.ts <dir> <port>        (after npm ci --prefix bench)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import { cacheControlFor } from '../../src/feed/serve.ts';

// Loaded from bench/node_modules (the plugins are benchmark-only dependencies, not the project's).
const require = createRequire(join(import.meta.dirname, '..', 'package.json'));
type Plugin = FastifyPluginAsync<Record<string, unknown>>;
const fastifyStatic = require('@fastify/static') as Plugin;
const fastifyCompress = require('@fastify/compress') as Plugin;

const [dir, port] = process.argv.slice(2) as [string, string];
const app = Fastify({ logger: false });
await app.register(fastifyCompress, { global: true, threshold: 512, encodings: ['gzip'] });
await app.register(fastifyStatic, {
  root: dir,
  etag: true,
  cacheControl: false,
  index: false,
  setHeaders: (reply: { header(k: string, v: string): unknown }, path: string) => {
    reply.header('cache-control', cacheControlFor(path));
  },
});
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('listening\n');
