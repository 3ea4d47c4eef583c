// An S3 server for tests: s3rver on 127.0.0.1, in a temp folder.
//
// s3rver (3.7) predates S3's conditional writes: it ignores If-None-Match and If-Match on PUT and
// DELETE, which AWS S3, MinIO and R2 honour. With `conditionalWrites` (the default) a middleware in
// front of its router adds them as AWS documents them (412 PreconditionFailed when the condition
// fails), checking and writing one conditional request at a time. This is the one stand-in here:
// no S3 server with conditional writes can be installed on this machine (npm and Debian only).
import { createHash } from 'node:crypto';

interface Koa {
  middleware: ((ctx: Ctx, next: () => Promise<void>) => Promise<void>)[];
  store: { getObject(bucket: string, key: string): Promise<{ metadata: Record<string, string> } | null> };
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
interface Ctx {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  status: number;
  body: unknown;
  type: string;
}

export interface S3Server {
  port: number;
  endpoint: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(
  directory: string,
  buckets: string[],
  options: { conditionalWrites?: boolean } = {},
): Promise<S3Server> {
  // @ts-expect-error s3rver ships no type declarations
  const { default: S3rver } = (await import('s3rver')) as unknown as {
    default: new (o: Record<string, unknown>) => Koa;
  };
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  if (options.conditionalWrites !== false) {
    let queue: Promise<void> = Promise.resolve();
    server.middleware.unshift(async (ctx, next) => {
      const noneMatch = ctx.headers['if-none-match'];
      const match = ctx.headers['if-match'];
      const conditional = (ctx.method === 'PUT' || ctx.method === 'DELETE') && (noneMatch ?? match) !== undefined;
      if (!conditional || ctx.headers['x-amz-copy-source']) return next();
      const [bucket = '', ...rest] = ctx.path.replace(/^\//, '').split('/');
      const key = decodeURIComponent(rest.join('/'));
      const turn = queue.then(async () => {
        const existing = await server.store.getObject(bucket, key).catch(() => null);
        const etag = existing?.metadata.etag;
        const failed =
          (noneMatch === '*' && existing !== null) ||
          (match !== undefined && (existing === null || (match !== '*' && match !== etag)));
        if (failed) {
          ctx.status = 412;
          ctx.type = 'application/xml';
          ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><RequestId>${createHash('sha1').update(key).digest('hex').slice(0, 16)}</RequestId></Error>`;
          return;
        }
        await next();
      });
      queue = turn.catch(() => undefined);
      await turn;
    });
  }
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    port,
    endpoint,
    env: {
      SLIPWAY_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    },
    close: () => server.close(),
  };
}
