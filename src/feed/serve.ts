import { statSync, type Stats } from 'node:fs';
import { open, readFile, realpath, stat, type FileHandle } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../io/node-http.ts';
import { extname, join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * How long a file of the feed may be cached. timestamp.json changes on every publish and refresh:
 * a short max-age. Version- or hash-named files never change once written: immutable. The rest
 * (root.json, SHA256SUMS, install.sh…) a few minutes.
 */
export function cacheControlFor(path: string): string {
  const p = path.replace(/\\/g, '/');
  if (/(^|\/)metadata\/timestamp\.json$/.test(p)) return 'public, max-age=60, must-revalidate';
  if (isImmutable(p)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=300';
}

function isImmutable(p: string): boolean {
  return /(^|\/)metadata\/\d+\.[\w-]+\.json$/.test(p) || /(^|\/)targets\/.*\/[0-9a-f]{64}\.[^/]+$/.test(p);
}

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.sh': 'text/x-shellscript; charset=utf-8',
  '.pub': 'text/plain; charset=utf-8',
  '.sig': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.zip': 'application/zip',
};
const typeOf = (p: string): string =>
  p.endsWith('SHA256SUMS') ? 'text/plain; charset=utf-8' : (TYPES[extname(p)] ?? 'application/octet-stream');
const compressible = (type: string): boolean => type.startsWith('application/json') || type.startsWith('text/');

/** Small files are served from memory; bigger ones are streamed (with Range). */
const CACHE_LIMIT = 1024 * 1024;

interface Entry {
  size: number;
  mtimeMs: number;
  etag: string;
  type: string;
  cacheControl: string;
  immutable: boolean;
  body: Buffer | null;
  gzip: Buffer | null;
}

export interface ServeOptions {
  dir: string;
  host?: string;
  port?: number;
  /** One line per request to this function, when given. */
  log?: (line: string) => void;
}

const etagOf = (s: Stats): string => `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;

function notModified(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  if (inm.trim() === '*') return true;
  return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** One `bytes=` range (RFC 9110 14.1.2); several ranges get the whole file, as the RFC allows. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams a large file from a handle opened before the headers went out: a file removed after
 * that (prune, garbage collection) is still read whole; a read error ends the response early (the
 * client sees a short body and retries, as with any cut connection); it never takes the server down.
 */
function stream(handle: FileHandle, res: ServerResponse, range?: { start: number; end: number }): void {
  const source = handle.createReadStream(range ?? {});
  source.on('error', () => res.destroy());
  res.on('close', () => source.destroy());
  source.pipe(res);
}

/**
 * `slipway feed serve`: the feed folder over HTTP for development and small installs, on node:http.
 * ETag / If-None-Match → 304, Cache-Control by file kind, Range (206/416), HEAD, gzip for JSON and
 * text, and no way out of the folder (no "..", no dotfiles, no symlink leading outside). Small files
 * are answered from memory; hash- and version-named ones never change, the others are re-checked
 * with a stat on every request.
 *
 * Hand-written on purpose: @fastify/static with @fastify/compress served timestamp.json at about a
 * tenth of nginx's rate; bench/feed.ts keeps the measurement (see bench/README.md).
 */
export async function serveFeed(options: ServeOptions): Promise<{ url: string; server: { close(): Promise<void> } }> {
  const root = await realpath(resolve(options.dir)).catch((error: NodeJS.ErrnoException) => {
    throw new SlipwayError(
      'FEED_NOT_FOUND',
      `cannot serve ${resolve(options.dir)}: ${error.code === 'ENOENT' ? 'no such folder' : error.code}; pass the feed folder (slipway feed init creates one)`,
      { cause: error },
    );
  });
  const cache = new Map<string, Entry>();

  async function lookup(rel: string): Promise<{ entry: Entry; file: string } | null> {
    const file = join(root, rel);
    const cached = cache.get(rel);
    if (cached?.immutable) return { entry: cached, file };
    let s: Stats;
    try {
      s = cached ? statSync(file) : await stat(file);
    } catch {
      cache.delete(rel);
      return null;
    }
    if (!s.isFile()) return null;
    if (cached && cached.size === s.size && cached.mtimeMs === s.mtimeMs) return { entry: cached, file };
    // Symlinks must not lead out of the folder.
    const real = await realpath(file).catch(() => null);
    if (real === null || (real !== root && !real.startsWith(root + sep))) return null;
    const type = typeOf(rel);
    const entry: Entry = {
      size: s.size,
      mtimeMs: s.mtimeMs,
      etag: etagOf(s),
      type,
      cacheControl: cacheControlFor(rel),
      immutable: isImmutable(rel),
      body: null,
      gzip: null,
    };
    if (s.size <= CACHE_LIMIT) {
      // Pruning and garbage collection remove files: one gone since its stat is simply not found.
      const body = await readFile(file).catch(() => null);
      if (body === null) {
        cache.delete(rel);
        return null;
      }
      entry.body = body;
      if (entry.body.length !== s.size) return lookup(rel);
      if (compressible(type) && s.size >= 512) entry.gzip = gzipSync(entry.body);
      cache.set(rel, entry);
    }
    return { entry, file };
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const rel = path.replace(/^\/+/, '');
    const segments = rel.split('/');
    if (
      rel === '' ||
      path.includes('\0') ||
      path.includes('\\') ||
      segments.some((s) => s === '..' || s === '' || s.startsWith('.'))
    ) {
      res.writeHead(rel === '' ? 404 : 403).end();
      return;
    }
    const found = await lookup(rel);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const { entry, file } = found;
    const headers: Record<string, string | number> = {
      etag: entry.etag,
      'cache-control': entry.cacheControl,
      'accept-ranges': 'bytes',
      'last-modified': new Date(entry.mtimeMs).toUTCString(),
    };
    if (entry.gzip) headers.vary = 'Accept-Encoding';
    if (notModified(req, entry.etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    const range = parseRange(req.headers.range, entry.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${entry.size}` }).end();
      return;
    }
    // Large files are opened now, before any header: one removed since its stat is a 404.
    const fh = entry.body || req.method === 'HEAD' ? null : await open(file, 'r').catch(() => null);
    if (!entry.body && req.method !== 'HEAD' && fh === null) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    headers['content-type'] = entry.type;
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${entry.size}`;
      headers['content-length'] = range.end - range.start + 1;
      res.writeHead(206, headers);
      if (req.method === 'HEAD') res.end();
      else if (entry.body) res.end(entry.body.subarray(range.start, range.end + 1));
      else stream(fh!, res, { start: range.start, end: range.end });
      return;
    }
    const gzip = entry.gzip !== null && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip ? entry.gzip : entry.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body ? body.length : entry.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else if (body) res.end(body);
    else stream(fh!, res);
  };

  const log = options.log;
  const server: Server = http.createServer((req, res) => {
    if (log) res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode}`));
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL'
          ? new SlipwayError(
              error.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'USAGE',
              `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${error.code === 'EADDRINUSE' ? 'something else listens there' : error.code === 'EACCES' ? 'not allowed (ports below 1024 need privileges)' : 'no such address on this machine'}`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as { address: string; port: number };
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server: {
      close: () =>
        new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        }),
    },
  };
}
