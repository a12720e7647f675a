/**
 * The embedding client (docs/writes.md §Embeddings): one interface, chosen by
 * `LANCELOG_EMBEDDINGS` (or options) — `mock` (deterministic, offline) or `openai`
 * (any OpenAI-compatible `/embeddings` endpoint). With neither, the client exists but
 * every call fails with `EmbeddingNotConfigured`, so a repo that never embeds needs no
 * provider, and one that does gets an error saying how to configure one.
 */
import { z } from 'zod';
import type { EmbeddingClient, EmbeddingProvider } from './types.js';
import { EmbeddingConfigInvalid, EmbeddingNotConfigured } from './errors.js';
import { createMockClient } from './mock.js';
import {
  createOpenAiClient,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_OPENAI_MODEL,
  DEFAULT_TIMEOUT_MS,
  MAX_BATCH_SIZE,
} from './openai.js';

export type { EmbeddingClient, EmbeddingProvider };

export interface EmbeddingClientOptions {
  /** Overrides `LANCELOG_EMBEDDINGS`. */
  provider?: EmbeddingProvider;
  /** Overrides `LANCELOG_EMBEDDINGS_MODEL` (openai; default text-embedding-3-small). */
  model?: string;
  /** Overrides `OPENAI_BASE_URL` (default https://api.openai.com/v1). */
  baseUrl?: string;
  /** Overrides `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Per HTTP request (default 30 000; env `LANCELOG_EMBEDDINGS_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Attempts per batch, first included (default 4): 429, 5xx, network errors and timeouts are retried. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 200). */
  backoffMs?: number;
  /** Texts per request (default 64, at most 2048; env `LANCELOG_EMBEDDINGS_BATCH`). */
  batchSize?: number;
  /** Where the LANCELOG_ and OPENAI_ variables are read (default process.env). */
  env?: Record<string, string | undefined>;
}

const positiveInt = z.coerce.number().int().positive();
const EmbeddingEnv = z.object({
  LANCELOG_EMBEDDINGS: z.enum(['mock', 'openai', 'none']).optional(),
  LANCELOG_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  LANCELOG_EMBEDDINGS_TIMEOUT_MS: positiveInt.optional(),
  LANCELOG_EMBEDDINGS_BATCH: positiveInt.max(MAX_BATCH_SIZE).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
});

const Options = z.object({
  timeoutMs: positiveInt.optional(),
  maxAttempts: positiveInt.max(20).optional(),
  backoffMs: z.number().int().nonnegative().optional(),
  batchSize: positiveInt.max(MAX_BATCH_SIZE).optional(),
  baseUrl: z.url().optional(),
});

export const HOW_TO_CONFIGURE =
  'set LANCELOG_EMBEDDINGS=openai with OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server), or LANCELOG_EMBEDDINGS=mock for deterministic offline vectors';

function parseEnv(env: Record<string, string | undefined>): z.infer<typeof EmbeddingEnv> {
  // Empty variables count as unset (a shell's `VAR=` idiom).
  const present = Object.fromEntries(
    Object.keys(EmbeddingEnv.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = EmbeddingEnv.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new EmbeddingConfigInvalid(
      `environment variable ${name}=${JSON.stringify(present[name])} is not valid: ${issue.message}`,
      { variable: name, value: present[name], reason: issue.message },
    );
  }
  return parsed.data;
}

function notConfigured(): EmbeddingClient {
  return {
    provider: 'none',
    model: '',
    embed() {
      return Promise.reject(
        new EmbeddingNotConfigured(`no embedding provider is configured: ${HOW_TO_CONFIGURE}`, {
          how_to_configure: HOW_TO_CONFIGURE,
        }),
      );
    },
  };
}

/** The client `options` and the environment describe (options win). Validates both with zod. */
export function createEmbeddingClient(options: EmbeddingClientOptions = {}): EmbeddingClient {
  const env = parseEnv(options.env ?? process.env);
  const opts = Options.safeParse(options);
  if (!opts.success) {
    const issue = opts.error.issues[0];
    throw new EmbeddingConfigInvalid(
      `embedding option ${String(issue.path[0])}: ${issue.message}`,
      {
        option: String(issue.path[0]),
        reason: issue.message,
      },
    );
  }
  const provider = options.provider ?? env.LANCELOG_EMBEDDINGS ?? 'none';
  if (provider === 'none') return notConfigured();
  if (provider === 'mock') return createMockClient();
  const apiKey = options.apiKey ?? env.OPENAI_API_KEY;
  if (apiKey === undefined)
    throw new EmbeddingNotConfigured(
      'LANCELOG_EMBEDDINGS=openai needs an API key: set OPENAI_API_KEY',
      { provider, how_to_configure: HOW_TO_CONFIGURE },
    );
  return createOpenAiClient({
    apiKey,
    baseUrl: (opts.data.baseUrl ?? env.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL).replace(
      /\/+$/,
      '',
    ),
    model: options.model ?? env.LANCELOG_EMBEDDINGS_MODEL ?? DEFAULT_OPENAI_MODEL,
    timeoutMs: opts.data.timeoutMs ?? env.LANCELOG_EMBEDDINGS_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS,
    maxAttempts: opts.data.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoffMs: opts.data.backoffMs ?? 200,
    batchSize: opts.data.batchSize ?? env.LANCELOG_EMBEDDINGS_BATCH ?? DEFAULT_BATCH_SIZE,
  });
}
