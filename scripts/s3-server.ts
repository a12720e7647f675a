/**
 * A real S3-compatible server on 127.0.0.1 for the tests and the scaleout bench: s3rver
 * (npm, a dev dependency), started and stopped by them, its objects in a directory.
 *
 * Two additions, as middleware in front of s3rver's routes:
 * - conditional PUT: s3rver ignores `If-None-Match: *` on PUT (it honours it only on
 *   GET), while AWS S3, MinIO and R2 answer 412 when the object exists. Lance commits a
 *   version by creating its manifest with exactly that header, and Lancelog's storage
 *   claim relies on it, so the server answers 412 as S3 does — without it two writers
 *   could both "create" one manifest.
 * - request counts per kind (GET, PUT, LIST, HEAD, DELETE, POST), counted at the server.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | undefined>;
  status: number;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  middleware: Middleware[];
  store: { existsObject(bucket: string, key: string): Promise<boolean> };
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (opts: Record<string, unknown>) => S3rverInstance;

export type RequestKind = 'GET' | 'PUT' | 'LIST' | 'HEAD' | 'DELETE' | 'POST' | 'OTHER';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The AWS variables a client of this server needs (plain http allowed). */
  env: Record<string, string>;
  counts: Record<RequestKind, number>;
  /** PUTs refused with 412 because the object existed. */
  refusedPuts: number;
  resetCounts(): void;
  close(): Promise<void>;
}

function kindOf(ctx: KoaContext, keyPath: string): RequestKind {
  if (ctx.method === 'GET') return keyPath === '' ? 'LIST' : 'GET';
  if (['PUT', 'HEAD', 'DELETE', 'POST'].includes(ctx.method)) return ctx.method as RequestKind;
  return 'OTHER';
}

export async function startS3Server(
  directory: string,
  bucket = 'lancelog-test',
  port = 0,
): Promise<S3TestServer> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const zero = (): Record<RequestKind, number> => ({
    GET: 0,
    PUT: 0,
    LIST: 0,
    HEAD: 0,
    DELETE: 0,
    POST: 0,
    OTHER: 0,
  });
  const out = { counts: zero(), refusedPuts: 0 };
  // PUTs of one key one at a time, so that check-then-write is atomic as on S3.
  const putLocks = new Map<string, Promise<void>>();
  const conditional: Middleware = async (ctx, next) => {
    const [, b = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    out.counts[kindOf(ctx, key)]++;
    if (ctx.method !== 'PUT') return next();
    const lockKey = `${b}/${key}`;
    const before = putLocks.get(lockKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = before.then(() => mine);
    putLocks.set(lockKey, chained);
    await before;
    try {
      await putOnce(ctx, b, key, next);
    } finally {
      release();
      if (putLocks.get(lockKey) === chained) putLocks.delete(lockKey);
    }
  };
  const putOnce = async (
    ctx: KoaContext,
    b: string,
    key: string,
    next: () => Promise<void>,
  ): Promise<void> => {
    if (
      ctx.method === 'PUT' &&
      ctx.headers['if-none-match'] === '*' &&
      key !== '' &&
      (await server.store.existsObject(b, key))
    ) {
      out.refusedPuts++;
      ctx.status = 412;
      ctx.body = 'PreconditionFailed';
      return;
    }
    await next();
  };
  server.middleware.unshift(conditional);
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: endpoint,
      AWS_ALLOW_HTTP: 'true',
    },
    get counts() {
      return out.counts;
    },
    get refusedPuts() {
      return out.refusedPuts;
    },
    resetCounts() {
      out.counts = zero();
      out.refusedPuts = 0;
    },
    close: () => server.close(),
  };
}
