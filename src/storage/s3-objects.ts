/**
 * The few object requests Lancelog makes itself on an S3-compatible store, beside
 * lancedb's own: reading a Lance manifest, a deletion file or a row-id file (what the
 * local backend reads from disk), asking whether a manifest exists (is a version the
 * HEAD), the size, sha256 and listing of a dataset's objects and the removal of an
 * unpublished manifest (the checksums, the check before a roll-forward and the scrub:
 * lance-files.ts), and the repo's claim object (src/repo/storage-claim.ts). Signed with SigV4 by
 * aws4fetch; path-style addressing against a custom endpoint, virtual-hosted against AWS.
 */
import { createHash } from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import { StorageError } from '../errors.js';
import type { S3Location } from './s3-location.js';

export interface PutResult {
  /** false: `ifNoneMatch` was set and the object already existed (HTTP 412). */
  created: boolean;
}

/** Attempts after the first, and the first backoff (doubling, jittered, by aws4fetch). */
const RETRIES = 4;
const INITIAL_RETRY_MS = 50;

export class S3Objects {
  private readonly client: AwsClient;

  constructor(readonly location: S3Location) {
    this.client = new AwsClient({
      accessKeyId: location.accessKeyId,
      secretAccessKey: location.secretAccessKey,
      sessionToken: location.sessionToken,
      region: location.region,
      service: 's3',
      retries: location.maxAttempts === undefined ? RETRIES : location.maxAttempts - 1,
      initRetryMs: INITIAL_RETRY_MS,
    });
  }

  /** The URL of `key` in `bucket` (keys are encoded segment by segment). */
  private url(bucket: string, key: string, query = ''): string {
    const path = key
      .split('/')
      .map((s) => encodeURIComponent(s))
      .join('/');
    const loc = this.location;
    const base =
      loc.endpoint !== undefined
        ? `${loc.endpoint}/${bucket}`
        : `https://${bucket}.s3.${loc.region}.amazonaws.com`;
    return `${base}/${path}${query}`;
  }

  private failure(action: string, bucket: string, key: string, detail: string): StorageError {
    return new StorageError(
      'ObjectStoreFailure',
      `${action} s3://${bucket}/${key} failed: ${detail}`,
      { bucket, key, action, cause: detail },
    );
  }

  /**
   * One request, retried (as every S3 client does) when the store answers 500/503 or
   * 429: S3 reports transient failures and throttling that way. aws4fetch retries those
   * itself; its attempts and backoff are set here. A failed connection is not retried.
   */
  private async request(
    action: string,
    bucket: string,
    key: string,
    init: RequestInit & { query?: string },
  ): Promise<Response> {
    try {
      return await this.client.fetch(this.url(bucket, key, init.query), init);
    } catch (err) {
      throw this.failure(action, bucket, key, err instanceof Error ? err.message : String(err));
    }
  }

  private async unexpected(action: string, bucket: string, key: string, res: Response) {
    const body = (await res.text().catch(() => '')).slice(0, 300);
    return this.failure(action, bucket, key, `HTTP ${res.status} ${body}`.trim());
  }

  /** The object's bytes; undefined when there is no such object. */
  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    const res = await this.request('GET', bucket, key, { method: 'GET' });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw await this.unexpected('GET', bucket, key, res);
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * The object's size and sha256, hashed as its body streams in (a data file is never
   * held whole in memory); undefined when there is no such object.
   */
  async digest(bucket: string, key: string): Promise<{ size: number; sha256: string } | undefined> {
    const res = await this.request('GET', bucket, key, { method: 'GET' });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok || res.body === null) throw await this.unexpected('GET', bucket, key, res);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
      }
    } catch (err) {
      throw this.failure('GET', bucket, key, err instanceof Error ? err.message : String(err));
    }
    return { size, sha256: hash.digest('hex') };
  }

  /** The object's size (a HEAD request); null when there is no such object. */
  async size(bucket: string, key: string): Promise<number | null> {
    const res = await this.request('HEAD', bucket, key, { method: 'HEAD' });
    await res.body?.cancel();
    if (res.status === 404) return null;
    if (!res.ok) throw await this.unexpected('HEAD', bucket, key, res);
    const length = Number(res.headers.get('content-length'));
    if (!Number.isSafeInteger(length) || length < 0)
      throw this.failure('HEAD', bucket, key, 'no Content-Length in the answer');
    return length;
  }

  /**
   * The names directly under `prefix` (which ends in `/`): ListObjects (v1, as anyUnder)
   * with a `/` delimiter, a page of up to 1000 keys at a time, each page after the last
   * key of the one before.
   */
  async list(bucket: string, prefix: string): Promise<string[]> {
    const names: string[] = [];
    let marker = '';
    for (;;) {
      const query =
        `?delimiter=%2F&prefix=${encodeURIComponent(prefix)}` +
        (marker === '' ? '' : `&marker=${encodeURIComponent(marker)}`);
      const res = await this.request('LIST', bucket, '', { method: 'GET', query });
      if (!res.ok) throw await this.unexpected('LIST', bucket, prefix, res);
      const xml = await res.text();
      const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1]));
      for (const k of keys) if (k.startsWith(prefix)) names.push(k.slice(prefix.length));
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || keys.length === 0) return names;
      marker = keys[keys.length - 1];
    }
  }

  async exists(bucket: string, key: string): Promise<boolean> {
    const res = await this.request('HEAD', bucket, key, { method: 'HEAD' });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw await this.unexpected('HEAD', bucket, key, res);
    return true;
  }

  /**
   * Is there any object whose key starts with `prefix`? One LIST of at most one key, as
   * ListObjects (v1): every S3-compatible store has it, and a truncated v2 listing needs
   * a continuation token some stores cannot make (s3rver's needs DES, gone from OpenSSL 3).
   */
  async anyUnder(bucket: string, prefix: string): Promise<boolean> {
    const query = `?max-keys=1&prefix=${encodeURIComponent(prefix)}`;
    const res = await this.request('LIST', bucket, '', { method: 'GET', query });
    if (!res.ok) throw await this.unexpected('LIST', bucket, prefix, res);
    return /<Key>/.test(await res.text());
  }

  /**
   * Stores `body` at `key`. With `ifNoneMatch`, only when no object is there
   * (`If-None-Match: *`, a conditional PUT): a store that answers 412 had one.
   */
  async put(
    bucket: string,
    key: string,
    body: string,
    opts: { ifNoneMatch?: boolean } = {},
  ): Promise<PutResult> {
    const headers: Record<string, string> = opts.ifNoneMatch ? { 'if-none-match': '*' } : {};
    const res = await this.request('PUT', bucket, key, { method: 'PUT', body, headers });
    await res.body?.cancel();
    if (res.status === 412) return { created: false };
    if (!res.ok) throw await this.unexpected('PUT', bucket, key, res);
    return { created: true };
  }

  async delete(bucket: string, key: string): Promise<void> {
    const res = await this.request('DELETE', bucket, key, { method: 'DELETE' });
    await res.body?.cancel();
    if (!res.ok && res.status !== 404) throw await this.unexpected('DELETE', bucket, key, res);
  }
}

/** The five entities XML escapes in a ListObjects answer's keys. */
function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
