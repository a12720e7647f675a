import { describe, expect, it } from 'vitest';
import { lanceStorageOptions, parseS3Uri, s3Location } from '../../src/storage/index.js';
import type { LancelogError } from '../../src/index.js';

const ENV = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' };

function refusal(fn: () => unknown): { code: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    const e = err as LancelogError;
    return { code: e.code, details: e.details as Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

describe('s3:// URIs and the AWS variables (the storage boundary)', () => {
  it('normalizes the URI: bucket, prefix without slashes at either end', () => {
    expect(parseS3Uri('s3://my-bucket/a/b/')).toEqual({
      uri: 's3://my-bucket/a/b',
      bucket: 'my-bucket',
      prefix: 'a/b',
    });
    expect(parseS3Uri('s3://my-bucket')).toEqual({
      uri: 's3://my-bucket',
      bucket: 'my-bucket',
      prefix: '',
    });
  });

  it.each([
    ['s3://', 'bucket'],
    ['s3://Upper/x', 'bucket'],
    ['s3://ab/x', 'bucket'],
    ['s3://bucket/a//b', 'segment'],
    ['s3://bucket/a/../b', 'segment'],
    ['s3://bucket/./b', 'segment'],
    ['http://bucket/x', 's3://'],
  ])('refuses %s (InvalidStorageUri naming the reason)', (uri, words) => {
    const r = refusal(() => parseS3Uri(uri));
    expect(r.code).toBe('InvalidStorageUri');
    expect(String(r.details.reason)).toContain(words);
  });

  it('takes the credentials, region and endpoint from the variables; http only when allowed', () => {
    const loc = s3Location('s3://b-1/p', {
      ...ENV,
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/',
      AWS_ALLOW_HTTP: 'true',
      AWS_MAX_ATTEMPTS: '3',
    });
    expect(loc).toMatchObject({
      bucket: 'b-1',
      prefix: 'p',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      allowHttp: true,
      maxAttempts: 3,
    });
    expect(lanceStorageOptions(loc)).toEqual({
      aws_access_key_id: 'k',
      aws_secret_access_key: 's',
      aws_region: 'eu-west-1',
      aws_endpoint: 'http://127.0.0.1:9000',
      allow_http: 'true',
      client_max_retries: '2',
    });
    expect(s3Location('s3://b-1/p', ENV)).toMatchObject({
      region: 'us-east-1',
      endpoint: undefined,
    });
  });

  it.each([
    [{}, 'AWS_ACCESS_KEY_ID'],
    [{ AWS_ACCESS_KEY_ID: 'k' }, 'AWS_SECRET_ACCESS_KEY'],
    [{ ...ENV, AWS_ENDPOINT_URL: 'not a url' }, 'AWS_ENDPOINT_URL'],
    [{ ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }, 'AWS_ALLOW_HTTP'],
    [{ ...ENV, AWS_ALLOW_HTTP: 'maybe' }, 'AWS_ALLOW_HTTP'],
    [{ ...ENV, AWS_MAX_ATTEMPTS: '0' }, 'AWS_MAX_ATTEMPTS'],
  ])('refuses %j, naming %s', (env, variable) => {
    const r = refusal(() => s3Location('s3://bucket/p', env));
    expect(r.code).toBe('InvalidStorageUri');
    expect(r.details.variable).toBe(variable);
  });
});
