/**
 * The embedding clients: the deterministic mock, and the OpenAI-compatible provider
 * against a real HTTP server on 127.0.0.1 (batching, 429/5xx retries, timeout,
 * outage, malformed answers), and the configuration errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmbeddingClient,
  mockEmbedding,
  type EmbeddingClientOptions,
} from '../../src/index.js';
import { rejection } from '../helpers/errors.js';
import {
  closedPortUrl,
  serverVector,
  startEmbeddingServer,
  type Behaviour,
  type EmbeddingServer,
} from './server.js';

const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
const unit = (v: number[]) => {
  const n = norm(v);
  return v.map((x) => Math.fround(x / n));
};

let server: EmbeddingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function openai(script: Behaviour[], opts: EmbeddingClientOptions = {}) {
  server = await startEmbeddingServer(script);
  return createEmbeddingClient({
    env: {
      LANCELOG_EMBEDDINGS: 'openai',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: server.baseUrl,
    },
    backoffMs: 1,
    ...opts,
  });
}

describe('mock provider', () => {
  it('equal texts give equal unit vectors of the asked dimension; different texts differ', async () => {
    const client = createEmbeddingClient({ env: { LANCELOG_EMBEDDINGS: 'mock' } });
    expect(client.provider).toBe('mock');
    const [a, b, c] = await client.embed(['graph', 'graph', 'graphs'], 37);
    expect(a).toHaveLength(37);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(norm(a)).toBeCloseTo(1, 6);
    // Pinned (checked by hand: SHA-256 of "0\0graph", words mapped to [-1, 1], normalised).
    expect(Array.from(mockEmbedding('graph', 3), (x) => x.toFixed(6))).toEqual([
      '-0.156129',
      '-0.752433',
      '0.639898',
    ]);
    expect(mockEmbedding('graph', 37)).toHaveLength(37);
  });
});

describe('OpenAI-compatible provider (a real server on 127.0.0.1)', () => {
  it('batches, sends model/dimensions/key, places vectors by index and L2-normalises them', async () => {
    const client = await openai([{ kind: 'ok' }], { batchSize: 2, model: 'm-1' });
    const texts = ['a', 'b', 'c', 'd', 'e'];
    const out = await client.embed(texts, 6);
    expect(server!.requests.map((r) => r.body.input)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(server!.requests[0].body).toMatchObject({ model: 'm-1', dimensions: 6 });
    expect(server!.requests[0].authorization).toBe('Bearer sk-test');
    out.forEach((v, i) => expect(Array.from(v)).toEqual(unit(serverVector(texts[i], 6))));
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    const client = await openai([
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'ok' },
    ]);
    const [v] = await client.embed(['x'], 4);
    expect(server!.requests).toHaveLength(3);
    expect(Array.from(v)).toEqual(unit(serverVector('x', 4)));
  });

  it('gives up after maxAttempts with EmbeddingFailed naming the status', async () => {
    const client = await openai([{ kind: 'status', status: 500 }], { maxAttempts: 3 });
    const err = await rejection(client.embed(['x'], 4));
    expect(err.code).toBe('EmbeddingFailed');
    expect(err.details).toMatchObject({ status: 500, attempts: 3, provider: 'openai' });
    expect(server!.requests).toHaveLength(3);
  });

  it('does not retry a 4xx other than 429', async () => {
    const client = await openai([
      { kind: 'status', status: 401, body: '{"error":{"message":"bad key"}}' },
    ]);
    const err = await rejection(client.embed(['x'], 4));
    expect(err.details).toMatchObject({ status: 401, attempts: 1 });
    expect(err.message).toContain('bad key');
  });

  it('a server that never answers: each attempt times out, then EmbeddingFailed', async () => {
    const client = await openai([{ kind: 'hang' }], { timeoutMs: 100, maxAttempts: 2 });
    const err = await rejection(client.embed(['x'], 4));
    expect(err.code).toBe('EmbeddingFailed');
    expect(err.details).toMatchObject({ attempts: 2 });
    expect(String(err.details.reason)).toContain('no answer within 100 ms');
    expect(server!.requests).toHaveLength(2);
  });

  it('an outage (nothing listening) is EmbeddingFailed after the retries', async () => {
    const client = createEmbeddingClient({
      env: {
        LANCELOG_EMBEDDINGS: 'openai',
        OPENAI_API_KEY: 'k',
        OPENAI_BASE_URL: await closedPortUrl(),
      },
      backoffMs: 1,
      maxAttempts: 2,
    });
    const err = await rejection(client.embed(['x'], 4));
    expect(err.code).toBe('EmbeddingFailed');
    expect(err.details).toMatchObject({ attempts: 2 });
    expect(String(err.details.reason)).toContain('ECONNREFUSED');
  });

  it.each([
    ['not JSON', { kind: 'raw', body: 'hello' } as Behaviour, 'not JSON'],
    ['no data', { kind: 'raw', body: '{"object":"list"}' } as Behaviour, 'malformed response'],
    [
      'a missing vector',
      { kind: 'raw', body: '{"data":[{"index":1,"embedding":[1,0,0,0]}]}' } as Behaviour,
      'malformed response',
    ],
    ['wrong dimension', { kind: 'dimension', dimension: 3 } as Behaviour, 'dimension mismatch'],
    [
      'a zero vector',
      { kind: 'raw', body: '{"data":[{"index":0,"embedding":[0,0,0,0]}]}' } as Behaviour,
      'zero norm',
    ],
  ])('a malformed answer (%s) fails at once, unretried', async (_name, behaviour, reason) => {
    const client = await openai([behaviour]);
    const err = await rejection(client.embed(['x'], 4));
    expect(err.code).toBe('EmbeddingFailed');
    expect(String(err.details.reason)).toContain(reason);
    expect(server!.requests).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('no provider: the client exists, and embedding says how to configure one', async () => {
    const client = createEmbeddingClient({ env: {} });
    expect(client.provider).toBe('none');
    const err = await rejection(client.embed(['x'], 4));
    expect(err.code).toBe('EmbeddingNotConfigured');
    expect(err.message).toContain('LANCELOG_EMBEDDINGS=openai');
    expect(err.message).toContain('LANCELOG_EMBEDDINGS=mock');
  });

  it('openai without a key is EmbeddingNotConfigured; bad values are EmbeddingConfigInvalid', () => {
    expect(() => createEmbeddingClient({ env: { LANCELOG_EMBEDDINGS: 'openai' } })).toThrow(
      expect.objectContaining({ code: 'EmbeddingNotConfigured' }),
    );
    expect(() => createEmbeddingClient({ env: { LANCELOG_EMBEDDINGS: 'gpt' } })).toThrow(
      expect.objectContaining({
        code: 'EmbeddingConfigInvalid',
        details: expect.objectContaining({ variable: 'LANCELOG_EMBEDDINGS' }),
      }),
    );
    expect(() =>
      createEmbeddingClient({
        env: { LANCELOG_EMBEDDINGS: 'openai', OPENAI_API_KEY: 'k', LANCELOG_EMBEDDINGS_BATCH: '0' },
      }),
    ).toThrow(expect.objectContaining({ code: 'EmbeddingConfigInvalid' }));
    expect(() =>
      createEmbeddingClient({ provider: 'openai', apiKey: 'k', timeoutMs: -1, env: {} }),
    ).toThrow(expect.objectContaining({ code: 'EmbeddingConfigInvalid' }));
  });
});
