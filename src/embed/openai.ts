/**
 * An OpenAI-compatible embeddings provider over Node's fetch: POST
 * `<baseUrl>/embeddings` with `{model, input: [...texts], dimensions}`. Texts go in
 * batches of at most `batchSize`; each request has its own timeout (AbortSignal);
 * 429, 5xx, network errors and timeouts are retried with exponential backoff up to
 * `maxAttempts` per batch; any other status, or an answer that is not one finite
 * vector of the requested dimension per text, fails at once. Vectors are
 * L2-normalised here, whatever the server did.
 */
import { z } from 'zod';
import type { EmbeddingClient } from './types.js';
import { EmbeddingFailed } from './errors.js';
import { l2Normalised } from './vectors.js';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_OPENAI_MODEL = 'text-embedding-3-small';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_BATCH_SIZE = 64;
/** OpenAI's own limit on inputs per request. */
export const MAX_BATCH_SIZE = 2048;
/** Longest single backoff, whatever the attempt count. */
const MAX_BACKOFF_MS = 10_000;
/** How much of an error body goes into the error's details. */
const BODY_EXCERPT_CHARS = 300;

export interface OpenAiSettings {
  apiKey: string;
  baseUrl: string;
  model: string;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  batchSize: number;
}

const EmbeddingResponse = z.object({
  data: z.array(
    z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) }),
  ),
});

/** One failed attempt: `retryable` says whether another attempt may succeed. */
interface AttemptFailure {
  retryable: boolean;
  reason: string;
  status?: number;
}

type Attempt = { ok: Float32Array[] } | { failed: AttemptFailure };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function checkVectors(body: unknown, count: number, dimension: number): Attempt {
  const parsed = EmbeddingResponse.safeParse(body);
  if (!parsed.success)
    return {
      failed: {
        retryable: false,
        reason: `malformed response: ${parsed.error.issues[0].message} at ${parsed.error.issues[0].path.join('.') || '$'}`,
      },
    };
  const out = new Array<Float32Array | undefined>(count);
  for (const d of parsed.data.data) {
    if (d.index >= count || out[d.index] !== undefined)
      return { failed: { retryable: false, reason: `malformed response: index ${d.index}` } };
    if (d.embedding.length !== dimension)
      return {
        failed: {
          retryable: false,
          reason: `dimension mismatch: asked for ${dimension}, got ${d.embedding.length} (does the model support this dimension?)`,
        },
      };
    const v = l2Normalised(d.embedding);
    if (!v)
      return {
        failed: {
          retryable: false,
          reason: `embedding ${d.index} has zero norm or a non-finite component`,
        },
      };
    out[d.index] = v;
  }
  const missing = out.findIndex((v) => v === undefined);
  if (missing >= 0 || out.length !== count)
    return {
      failed: { retryable: false, reason: `malformed response: no embedding for input ${missing}` },
    };
  return { ok: out as Float32Array[] };
}

async function attemptOnce(
  s: OpenAiSettings,
  texts: string[],
  dimension: number,
): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(`${s.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}` },
      body: JSON.stringify({ model: s.model, input: texts, dimensions: dimension }),
      signal: AbortSignal.timeout(s.timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      failed: {
        retryable: true,
        reason: timedOut
          ? `no answer within ${s.timeoutMs} ms`
          : `request failed: ${cause?.code ?? cause?.message ?? e.message}`,
      },
    };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return {
      failed: {
        retryable: true,
        status: res.status,
        reason: `reading the answer failed: ${(err as Error).message}`,
      },
    };
  }
  if (!res.ok)
    return {
      failed: {
        retryable: res.status === 429 || res.status >= 500,
        status: res.status,
        reason: `HTTP ${res.status}: ${text.slice(0, BODY_EXCERPT_CHARS)}`,
      },
    };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      failed: {
        retryable: false,
        status: res.status,
        reason: `malformed response: not JSON: ${text.slice(0, 80)}`,
      },
    };
  }
  return checkVectors(body, texts.length, dimension);
}

async function embedBatch(
  s: OpenAiSettings,
  texts: string[],
  dimension: number,
): Promise<Float32Array[]> {
  for (let attempt = 1; ; attempt++) {
    const result = await attemptOnce(s, texts, dimension);
    if ('ok' in result) return result.ok;
    const f = result.failed;
    if (!f.retryable || attempt >= s.maxAttempts)
      throw new EmbeddingFailed(
        `embedding provider ${s.baseUrl} (model ${s.model}) failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${f.reason}`,
        {
          provider: 'openai',
          base_url: s.baseUrl,
          model: s.model,
          attempts: attempt,
          reason: f.reason,
          ...(f.status !== undefined ? { status: f.status } : {}),
          texts: texts.length,
          dimension,
        },
      );
    await sleep(Math.min(MAX_BACKOFF_MS, s.backoffMs * 2 ** (attempt - 1)));
  }
}

export function createOpenAiClient(s: OpenAiSettings): EmbeddingClient {
  return {
    provider: 'openai',
    model: s.model,
    async embed(texts, dimension) {
      const out: Float32Array[] = [];
      // Batches run one after another: a bounded load on the provider (and its rate limit).
      for (let i = 0; i < texts.length; i += s.batchSize)
        out.push(...(await embedBatch(s, texts.slice(i, i + s.batchSize), dimension)));
      return out;
    },
  };
}
