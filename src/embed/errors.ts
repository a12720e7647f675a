/** The embedding layer's typed errors (docs/writes.md §Embeddings). */
import { LancelogError } from '../errors.js';

/**
 * An embedding provider call failed: the provider was unreachable, timed out, kept
 * answering 429/5xx past the retry budget, refused the request, or answered with
 * something that is not an embedding of the requested dimension. `details` carries
 * `provider`, `model`, `attempts`, `reason` and, for an HTTP answer, `status`.
 */
export class EmbeddingFailed extends LancelogError {
  constructor(message: string, details: Record<string, unknown>) {
    super('EmbeddingFailed', message, details);
  }
}

/**
 * No embedding provider is configured (or its configuration is incomplete) but a
 * write has an `@embed` vector to fill; the message says how to configure one.
 */
export class EmbeddingNotConfigured extends LancelogError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EmbeddingNotConfigured', message, details);
  }
}

/** An embedding setting (environment variable or option) has a value that is not allowed. */
export class EmbeddingConfigInvalid extends LancelogError {
  constructor(message: string, details: Record<string, unknown>) {
    super('EmbeddingConfigInvalid', message, details);
  }
}
