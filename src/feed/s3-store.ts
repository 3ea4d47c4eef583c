import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SlipwayError } from '../core/errors.ts';
import { alive } from '../io/lock-file.ts';
import type { FeedStore } from './store.ts';

/** The lease object that serializes changes to a feed in a bucket, and how long one lasts unless renewed. */
const LEASE = '.slipway/publish.lease';
const LEASE_MS = 5 * 60_000;

interface Lease {
  owner: string;
  expires: string;
}

/** A lease held by a process of this machine that is gone (SIGKILL, a crash): taken over at once. */
function deadHere(owner: string): boolean {
  const [host, pid] = owner.split(':');
  return host === hostname() && !alive(Number(pid));
}

/** S3's answers to a conditional write that lost: 412 Precondition Failed, or 409 for a concurrent one. */
function lostRace(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e.name === 'PreconditionFailed' ||
    e.name === 'ConditionalRequestConflict' ||
    e.$metadata?.httpStatusCode === 412 ||
    e.$metadata?.httpStatusCode === 409
  );
}

/** Cache headers a CDN in front of the bucket keeps: hash- or version-named files never change. */
function cacheControl(path: string): string {
  if (path === 'metadata/timestamp.json') return 'public, max-age=60';
  if (/^metadata\/\d+\.[\w-]+\.json$/.test(path) || /^targets\/.*\/[0-9a-f]{64}\.[^/]+$/.test(path))
    return 'public, max-age=31536000, immutable';
  return 'public, max-age=300';
}

const contentType = (path: string): string =>
  path.endsWith('.json')
    ? 'application/json'
    : path.endsWith('.md')
      ? 'text/markdown; charset=utf-8'
      : 'application/octet-stream';

/**
 * A feed in an S3-compatible bucket (AWS SDK v3). Credentials and region come from the usual AWS
 * environment; `SLIPWAY_S3_ENDPOINT` points at another S3-compatible server (MinIO, s3rver…).
 * Each PUT replaces an object whole, so the publish order (targets, versioned metadata, then
 * timestamp.json) keeps the bucket valid for readers at every instant.
 */
export class S3Store implements FeedStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  /** SLIPWAY_S3_SINGLE_PUBLISHER=1: the operator vouches that only one publisher runs (a server without conditional writes). */
  private readonly singlePublisher: boolean;

  constructor(client: S3Client, bucket: string, prefix: string, options: { singlePublisher?: boolean } = {}) {
    this.singlePublisher = options.singlePublisher === true;
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${bucket}/${this.prefix}`;
  }

  static fromUrl(url: string, env: NodeJS.ProcessEnv): S3Store {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
    if (!m)
      throw new SlipwayError('USAGE', `"${url}" is not an S3 location; expected s3://bucket or s3://bucket/prefix`);
    const endpoint = env.SLIPWAY_S3_ENDPOINT;
    const client = new S3Client({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    });
    return new S3Store(client, m[1]!, m[2] ?? '', { singlePublisher: env.SLIPWAY_S3_SINGLE_PUBLISHER === '1' });
  }

  private conditionalWrites: boolean | null = null;

  /**
   * A lease object, created only if absent (If-None-Match: *) and taken over only from the exact
   * expired lease that was read (If-Match: its ETag), so two publishers on two machines cannot
   * both hold it. Renewed while held; deleted (If-Match) when done.
   */
  async lock(waitMs: number): Promise<() => Promise<void>> {
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const deadline = Date.now() + waitMs;
    const body = (): string =>
      JSON.stringify({ owner, expires: new Date(Date.now() + LEASE_MS).toISOString() } satisfies Lease);
    const put = async (condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string | null> => {
      try {
        const r = await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(LEASE),
            Body: body(),
            ContentType: 'application/json',
            ...condition,
          }),
        );
        return r.ETag ?? '';
      } catch (error) {
        if (lostRace(error)) return null;
        throw error;
      }
    };
    let etag: string | null = null;
    let holder: Lease | null = null;
    for (;;) {
      etag = await put({ IfNoneMatch: '*' });
      if (etag !== null) break;
      const current = await this.readLease();
      if (current === null) continue; // released meanwhile
      holder = current.lease;
      if (Date.parse(current.lease.expires) < Date.now() || deadHere(current.lease.owner)) {
        etag = await put({ IfMatch: current.etag });
        if (etag !== null) break;
        continue;
      }
      if (Date.now() >= deadline)
        throw new SlipwayError(
          'FEED_LOCKED',
          `another change to ${this.location} holds its lease (${holder.owner}, until ${holder.expires}) after ${Math.round(waitMs / 1000)} s of waiting`,
        );
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
    try {
      await this.requireConditionalWrites();
    } catch (error) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(LEASE) }));
      throw error;
    }
    const renew = setInterval(() => {
      void put({ IfMatch: etag! }).then((e) => {
        if (e !== null) etag = e;
      });
    }, LEASE_MS / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(LEASE), IfMatch: etag! }))
        .catch((error: unknown) => {
          if (!lostRace(error)) throw error;
        });
    };
  }

  private async readLease(): Promise<{ lease: Lease; etag: string } | null> {
    try {
      const r = await this.get(this.key(LEASE));
      const text = r.body.toString('utf8');
      let lease: Lease;
      try {
        lease = JSON.parse(text) as Lease;
      } catch {
        lease = { owner: 'unreadable lease', expires: new Date(0).toISOString() };
      }
      return { lease, etag: r.etag };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  /**
   * A server that ignores If-None-Match would let every publisher "create" the lease: asked once
   * per store, by writing the lease we hold again under If-None-Match: * (it must be refused).
   */
  private async requireConditionalWrites(): Promise<void> {
    if (this.conditionalWrites === null) {
      const probe = this.key('.slipway/conditional-write-probe');
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: 'probe' }));
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: 'probe', IfNoneMatch: '*' }),
        );
        this.conditionalWrites = false;
      } catch (error) {
        if (!lostRace(error)) throw error;
        this.conditionalWrites = true;
      }
    }
    if (!this.conditionalWrites && !this.singlePublisher)
      throw new SlipwayError(
        'FEED_LOCK_UNSUPPORTED',
        `the S3 service behind ${this.location} ignores conditional writes (If-None-Match), so two publishers could both change the feed and lose releases; use one that honours them (AWS S3, MinIO, R2), or set SLIPWAY_S3_SINGLE_PUBLISHER=1 if only one publisher ever runs`,
      );
  }

  private key(path: string): string {
    return this.prefix === '' ? path : `${this.prefix}/${path}`;
  }

  /**
   * A GET whose body is cut midway (the SDK retries failed requests, not a body that breaks off
   * after the headers: "aborted", ECONNRESET) is asked again, up to 3 times.
   */
  private async get(key: string): Promise<{ body: Buffer; etag: string }> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      try {
        return { body: Buffer.from(await r.Body!.transformToByteArray()), etag: r.ETag ?? '' };
      } catch (error) {
        const e = error as { message?: string; code?: string };
        if (
          attempt >= 3 ||
          !(e.message === 'aborted' || e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE')
        )
          throw error;
      }
    }
  }

  async read(path: string): Promise<Buffer | null> {
    try {
      return (await this.get(this.key(path))).body;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async write(path: string, data: string | Uint8Array): Promise<void> {
    await new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.key(path),
        Body: typeof data === 'string' ? Buffer.from(data) : data,
        ContentType: contentType(path),
        CacheControl: cacheControl(path),
      },
    }).done();
  }

  async putFile(path: string, localFile: string, length: number): Promise<void> {
    if ((await stat(localFile)).size !== length)
      throw new SlipwayError('ARTIFACT_CHANGED', `${localFile} changed while it was being published; publish again`);
    // Multipart for large files, streamed: memory stays flat whatever the artifact's size.
    await new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.key(path),
        Body: createReadStream(localFile),
        ContentLength: length,
        ContentType: contentType(path),
        CacheControl: cacheControl(path),
      },
    }).done();
  }

  async copy(from: string, to: string): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: this.key(to),
        CopySource: `${this.bucket}/${encodeURIComponent(this.key(from)).replace(/%2F/g, '/')}`,
      }),
    );
  }

  async remove(paths: readonly string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += 1000) {
      const chunk = paths.slice(i, i + 1000);
      if (chunk.length > 0)
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((p) => ({ Key: this.key(p) })) },
          }),
        );
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    const strip = this.prefix === '' ? 0 : this.prefix.length + 1;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.key(prefix)}/`, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(strip));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
