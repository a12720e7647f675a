/**
 * Where a repo's Lance tables live when they are not on a local disk: a prefix of an
 * S3-compatible bucket (AWS S3, MinIO, R2, GCS through its S3 API). The URI names the
 * place (`s3://bucket/prefix`); the credentials and endpoint come from the usual AWS
 * variables, parsed here (zod: the environment is a boundary) and handed to lancedb as
 * its storage options and to our own few requests (src/storage/s3-objects.ts).
 *
 * Plain http is refused unless asked for (`AWS_ALLOW_HTTP=true`): credentials and data
 * would otherwise cross the network in the clear because of a typo in an endpoint.
 */
import { z } from 'zod';
import { RepoError } from '../errors.js';

export interface S3Location {
  /** `s3://bucket/prefix`, normalized (no trailing slash). */
  uri: string;
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  /** Base URL of the S3 API; undefined: AWS itself, virtual-hosted. */
  endpoint: string | undefined;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  allowHttp: boolean;
  /** Attempts per request, the first included (`AWS_MAX_ATTEMPTS`); undefined: the clients' defaults. */
  maxAttempts: number | undefined;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Is `text` an `s3://` URI (rather than a directory)? */
export function isS3Uri(text: string): boolean {
  return /^s3:\/\//i.test(text);
}

function invalid(uri: string, reason: string, variable?: string): RepoError {
  return new RepoError('InvalidStorageUri', `invalid storage ${uri}: ${reason}`, {
    uri,
    reason,
    ...(variable === undefined ? {} : { variable }),
  });
}

/** Splits `s3://bucket/prefix` into bucket and prefix; a typed error names what is wrong. */
export function parseS3Uri(uri: string): { uri: string; bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(uri);
  if (!m) throw invalid(uri, "expected 's3://bucket/prefix'");
  const bucket = m[1];
  if (!BUCKET.test(bucket))
    throw invalid(uri, `'${bucket}' is not a bucket name (3-63 of a-z 0-9 . -)`);
  const prefix = m[2].replace(/\/+$/, '');
  const parts = prefix === '' ? [] : prefix.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw invalid(uri, `the prefix '${prefix}' has an empty, '.' or '..' segment`);
  return { uri: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`, bucket, prefix };
}

const truthy = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const S3Env = z.object({
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ALLOW_HTTP: truthy.optional(),
  AWS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).optional(),
});

/** The location of `uri` with the credentials and endpoint of `env` (process.env by default). */
export function s3Location(uri: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  const place = parseS3Uri(uri);
  const parsed = S3Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? '');
    throw invalid(
      place.uri,
      `${variable} ${issue.code === 'invalid_type' ? 'is not set' : `is invalid (${issue.message})`}`,
      variable,
    );
  }
  const e = parsed.data;
  const endpoint = (e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL)?.replace(/\/+$/, '');
  const allowHttp = e.AWS_ALLOW_HTTP ?? false;
  if (endpoint !== undefined && endpoint.startsWith('http:') && !allowHttp)
    throw invalid(
      place.uri,
      `the endpoint ${endpoint} is plain http; set AWS_ALLOW_HTTP=true to allow it`,
      'AWS_ALLOW_HTTP',
    );
  return {
    ...place,
    endpoint,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
    accessKeyId: e.AWS_ACCESS_KEY_ID,
    secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
    sessionToken: e.AWS_SESSION_TOKEN,
    allowHttp,
    maxAttempts: e.AWS_MAX_ATTEMPTS,
  };
}

/** lancedb's storage options (object_store's names) for `loc`. */
export function lanceStorageOptions(loc: S3Location): Record<string, string> {
  return {
    aws_access_key_id: loc.accessKeyId,
    aws_secret_access_key: loc.secretAccessKey,
    aws_region: loc.region,
    ...(loc.sessionToken === undefined ? {} : { aws_session_token: loc.sessionToken }),
    ...(loc.endpoint === undefined ? {} : { aws_endpoint: loc.endpoint }),
    ...(loc.allowHttp ? { allow_http: 'true' } : {}),
    ...(loc.maxAttempts === undefined ? {} : { client_max_retries: String(loc.maxAttempts - 1) }),
  };
}
