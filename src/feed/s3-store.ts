import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SlipwayError } from '../core/errors.ts';
import type { FeedStore } from './store.ts';

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

  constructor(client: S3Client, bucket: string, prefix: string) {
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
    return new S3Store(client, m[1]!, m[2] ?? '');
  }

  private key(path: string): string {
    return this.prefix === '' ? path : `${this.prefix}/${path}`;
  }

  async read(path: string): Promise<Buffer | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      return Buffer.from(await r.Body!.transformToByteArray());
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
