import semver from 'semver';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { http } from '../io/node-http.ts';
import { get as httpsGet } from 'node:https';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { Updater } from 'tuf-js';
import { advisoriesPath, type FeedAdvisories } from '../core/advisory/feed.ts';
import { AgentIndexSchema, agentIndexPath, type AgentIndex } from '../core/feed/agent.ts';
import type { OsvAdvisory } from '../core/advisory/osv.ts';
import { lifecyclePath, type FeedLifecycle } from '../core/lifecycle/feed.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  ChannelIndexSchema,
  ChannelShardsSchema,
  sortIndex,
  type IndexEntry,
  ManifestSchema,
  indexPath,
  parseDocument,
  type Artifact,
  type ChannelIndex,
  type Manifest,
} from '../core/feed/manifest.ts';

/**
 * An instance's view of the feed: every byte it reads passes through tuf-js, which checks the
 * signatures, versions, expiry and lengths of the metadata and the hash of each target.
 * `metadataDir` holds the trusted root.json (and what tuf-js keeps between refreshes).
 */
export class FeedClient {
  /** Made at the first refresh: tuf-js and its HTTP stack load only when the feed is read. */
  private updater!: Updater;
  private readonly updaterOptions: ConstructorParameters<typeof Updater>[0];
  private readonly metadataDir: string;
  private readonly scratch: string;
  private refreshed = false;
  private readonly base: string;

  private readonly deadlineMs: number;
  private readonly stallMs: number;

  constructor(options: {
    url: string;
    metadataDir: string;
    scratchDir: string;
    /** A download that takes longer than this is cut (and resumed next time); default 2 h. */
    downloadDeadlineMs?: number;
    /** A download that receives nothing for this long is cut; default 60 s. */
    stallMs?: number;
  }) {
    this.deadlineMs = options.downloadDeadlineMs ?? 2 * 3_600_000;
    this.stallMs = options.stallMs ?? 60_000;
    const base = options.url.replace(/\/+$/, '');
    this.base = base;
    this.metadataDir = options.metadataDir;
    this.scratch = options.scratchDir;
    this.updaterOptions = {
      metadataDir: options.metadataDir,
      metadataBaseUrl: `${base}/metadata`,
      targetDir: options.scratchDir,
      targetBaseUrl: `${base}/targets`,
      config: { fetchRetry: 1, fetchTimeout: 30_000 },
    };
  }

  /** Refreshes the trusted metadata once per client (TUF client workflow 5.3–5.6). */
  async refresh(): Promise<void> {
    if (this.refreshed) return;
    await mkdir(this.scratch, { recursive: true });
    const { Updater } = await import('tuf-js');
    try {
      this.updater = new Updater(this.updaterOptions);
      await this.updater.refresh();
    } catch (error) {
      throw feedError(error, 'refreshing the feed metadata');
    }
    this.refreshed = true;
  }

  private async readTarget(path: string): Promise<Buffer | null> {
    await this.refresh();
    const info = await this.updater.getTargetInfo(path).catch((error: unknown) => {
      throw feedError(error, `looking up ${path}`);
    });
    if (!info) return null;
    const dir = await mkdtemp(join(this.scratch, 'doc-'));
    try {
      const file = await this.updater.downloadTarget(info, join(dir, 'doc')).catch((error: unknown) => {
        throw feedError(error, `downloading ${path}`);
      });
      return await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The public advisories a channel carries (signed with it); none when the feed has none. */
  async advisories(channel: string): Promise<OsvAdvisory[]> {
    const data = await this.readTarget(advisoriesPath(channel));
    if (data === null) return [];
    const doc = JSON.parse(data.toString('utf8')) as Partial<FeedAdvisories>;
    if (doc.schema !== 1 || !Array.isArray(doc.advisories))
      throw new SlipwayError('FEED_INVALID', `the feed's ${advisoriesPath(channel)} is not a list of advisories`);
    return doc.advisories;
  }

  /** Slipway's own executables a channel carries (newest first; none on a feed without them). */
  async agentIndex(channel: string): Promise<AgentIndex> {
    const data = await this.readTarget(agentIndexPath(channel));
    if (data === null) return { schema: 1, channel, updated: new Date(0).toISOString(), releases: [] };
    return parseDocument(AgentIndexSchema, data.toString('utf8'), agentIndexPath(channel));
  }

  /**
   * Whether a local file is exactly the signed target at `path` (its length and sha256 as the
   * channel's role signs them): how install.sh's download is checked by the executable it holds.
   */
  async verifyLocal(path: string, file: string): Promise<void> {
    await this.refresh();
    const info = await this.updater.getTargetInfo(path).catch((error: unknown) => {
      throw feedError(error, `looking up ${path}`);
    });
    if (!info) throw new SlipwayError('VERIFY_FAILED', `${path} is not signed by the feed`);
    try {
      await info.verify(createReadStream(file));
    } catch (error) {
      throw new SlipwayError('VERIFY_FAILED', `${file} is not the feed's signed ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The lifecycle table a channel carries, or null on a feed that has none. */
  async lifecycle(channel: string): Promise<FeedLifecycle | null> {
    const data = await this.readTarget(lifecyclePath(channel));
    if (data === null) return null;
    const doc = JSON.parse(data.toString('utf8')) as Partial<FeedLifecycle>;
    if (doc.schema !== 1 || !Array.isArray(doc.cycles))
      throw new SlipwayError('FEED_INVALID', `the feed's ${lifecyclePath(channel)} is not a lifecycle table`);
    return doc as FeedLifecycle;
  }

  /** The feed's channels, least stable first (from its signed channels.json; older feeds: the defaults). */
  async channels(): Promise<string[]> {
    const data = await this.readTarget('channels.json');
    if (data === null) return ['nightly', 'beta', 'stable'];
    try {
      const parsed = JSON.parse(data.toString('utf8')) as { channels?: unknown };
      if (Array.isArray(parsed.channels) && parsed.channels.every((c) => typeof c === 'string')) return parsed.channels;
    } catch {
      // fall through
    }
    throw new SlipwayError('FEED_INVALID', "the feed's channels.json is not a list of channels");
  }

  /**
   * A channel's index. On a sharded feed, `from` (the installed version) limits it to the shards
   * holding that version or newer ones: what selecting an update needs, and all an instance downloads.
   */
  async index(channel: string, options: { from?: string | null } = {}): Promise<ChannelIndex> {
    const data = await this.readTarget(indexPath(channel));
    if (data === null) return { schema: 1, channel, updated: new Date(0).toISOString(), releases: [] };
    const text = data.toString('utf8');
    if ((JSON.parse(text) as { schema?: unknown }).schema === 1)
      return parseDocument(ChannelIndexSchema, text, `${channel}/index.json`);
    const top = parseDocument(ChannelShardsSchema, text, `${channel}/index.json`);
    const from = options.from ?? null;
    const releases: IndexEntry[] = [];
    for (const l of top.shards) {
      // A shard whose newest release is older than the installed one holds nothing a check needs.
      if (from !== null && semver.valid(from) && semver.lt(l.newest, from)) continue;
      const shard = await this.readTarget(l.path);
      if (shard === null)
        throw new SlipwayError('FEED_INVALID', `${channel}/index.json lists ${l.path}, which no role signs`);
      releases.push(...parseDocument(ChannelIndexSchema, shard.toString('utf8'), l.path).releases);
    }
    return { schema: 1, channel, updated: top.updated, releases: sortIndex(releases) };
  }

  async manifest(path: string): Promise<Manifest> {
    const data = await this.readTarget(path);
    if (data === null) throw new SlipwayError('FEED_INVALID', `the feed lists ${path} but no role signs it`);
    return parseDocument(ManifestSchema, data.toString('utf8'), path);
  }

  /**
   * Downloads an artifact into `dest`, which appears only once verified. The length and hashes come
   * from tuf-js (the target's signed metadata) and the check is @tufjs/models' TargetFile.verify;
   * the bytes are streamed once, to disk and through the hash together, and cut off past the
   * signed length (tuf-js's own downloadTarget writes a temp file, reads it back and copies it:
   * three passes, and more memory — bench/agent.ts).
   */
  async download(
    artifact: Artifact,
    dest: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<string> {
    await this.refresh();
    const info = await this.updater.getTargetInfo(artifact.path);
    if (!info) throw new SlipwayError('FEED_INVALID', `${artifact.path} is not signed by the feed`);
    if (info.hashes.sha256 !== artifact.sha256 || info.length !== artifact.length) {
      throw new SlipwayError(
        'VERIFY_FAILED',
        `${artifact.path}: the manifest says sha256 ${artifact.sha256} (${artifact.length} bytes) but the signed target says ${info.hashes.sha256} (${info.length} bytes)`,
      );
    }
    const cut = info.path.lastIndexOf('/');
    const url = `${this.base}/targets/${info.path.slice(0, cut)}/${info.hashes.sha256}.${info.path.slice(cut + 1)}`;
    // An interrupted download is resumed (HTTP Range) from `<dest>.partial`; the bytes already
    // there go through the same verification first.
    const partial = `${dest}.partial`;
    let have = await stat(partial).then(
      (st) => st.size,
      () => 0,
    );
    if (have >= info.length) {
      await rm(partial, { force: true });
      have = 0;
    }
    try {
      let res = await httpGet(url, have > 0 ? { range: `bytes=${have}-` } : {}, this.stallMs);
      if (have > 0 && res.statusCode !== 206) {
        // The server ignored the range: start over.
        res.resume();
        await rm(partial, { force: true });
        have = 0;
        res = await httpGet(url, {}, this.stallMs);
      }
      const check = new PassThrough();
      let seen = have;
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          const before = seen;
          seen += chunk.length;
          if (onProgress && Math.floor(before / 8_388_608) !== Math.floor(seen / 8_388_608))
            onProgress(seen, info.length);
          if (seen > info.length) {
            done(
              new SlipwayError(
                'VERIFY_FAILED',
                `${artifact.path}: the server sent more than the ${info.length} bytes signed for it`,
              ),
            );
            return;
          }
          if (check.write(chunk)) done(null, chunk);
          else check.once('drain', () => done(null, chunk));
        },
        flush(done) {
          check.end();
          done();
        },
      });
      const verified = info.verify(check);
      // Observe the failure at once: if writing fails first, it is reported below.
      verified.catch(() => undefined);
      try {
        if (have > 0)
          for await (const chunk of createReadStream(partial, { end: have - 1 }))
            if (!check.write(chunk)) await once(check, 'drain');
        // The overall deadline: a server that trickles a byte at a time never holds the update lock for long.
        const deadline = setTimeout(() => {
          const e = Object.assign(
            new Error(`${artifact.path} did not arrive within ${Math.round(this.deadlineMs / 1000)} s`),
            {
              code: 'ETIMEDOUT',
            },
          );
          res.destroy(e);
        }, this.deadlineMs);
        try {
          await pipeline(res, tee, createWriteStream(partial, { flags: have > 0 ? 'a' : 'w' }));
        } finally {
          clearTimeout(deadline);
        }
      } catch (error) {
        check.destroy(error as Error);
        throw error;
      }
      await verified;
      await rename(partial, dest);
      return dest;
    } catch (error) {
      const e = feedError(error, `downloading ${artifact.path}`);
      // Bytes that failed verification are never reused; a cut connection keeps what arrived.
      if (e.code === 'VERIFY_FAILED') await rm(partial, { force: true });
      throw e;
    }
  }

  get trustedDir(): string {
    return this.metadataDir;
  }
}

/** A streamed GET (node:http/https: flat memory, backpressure all the way to the socket). */
function httpGet(url: string, headers: Record<string, string>, stallMs = 60_000): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : http.get;
    const req = get(url, { headers }, (res) => {
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        res.resume();
        reject(new SlipwayError('FEED_UNREACHABLE', `${url} answered HTTP ${res.statusCode}`));
        return;
      }
      resolve(res);
    });
    req.setTimeout(stallMs, () =>
      req.destroy(
        Object.assign(new Error(`no data from ${url} for ${Math.round(stallMs / 1000)} s`), { code: 'ETIMEDOUT' }),
      ),
    );
    req.on('error', reject);
  });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // A connection cut mid-body: the bytes that arrived are kept and the download resumes.
  'ERR_STREAM_PREMATURE_CLOSE',
  'ECONNABORTED',
]);

/** Whether an error (or its cause: fetch wraps the socket's error) is the network, not the feed's content. */
function isNetworkError(error: unknown): boolean {
  // The fetch standard rejects with a TypeError exactly when the network fails (refused, reset,
  // a blocked port, DNS); tuf-js's own errors are never TypeErrors.
  // (A TypeError from tuf-js's models, "signatures is not an array", is bad metadata, not the network.)
  if (error instanceof TypeError && /fetch failed|network/i.test(error.message)) return true;
  for (
    let e = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** tuf-js errors carry only a message; name what failed and what it means for the operator. */
export function feedError(error: unknown, doing: string): SlipwayError {
  if (error instanceof SlipwayError) return error as SlipwayError;
  const message = (error as Error).message ?? String(error);
  if ((error as { code?: unknown }).code === 'ENOSPC')
    return new SlipwayError('DISK_FULL', `the disk filled up while ${doing}; free some space and try again`, {
      cause: error,
    });
  if (isNetworkError(error))
    return new SlipwayError('FEED_UNREACHABLE', `the feed cannot be reached while ${doing}: ${message}`, {
      cause: error,
    });
  return new SlipwayError(
    'VERIFY_FAILED',
    `the feed failed verification while ${doing}: ${message}. Nothing was installed.`,
    { cause: error },
  );
}
