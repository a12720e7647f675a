/** The embedding layer: clients that turn texts into L2-normalised vectors (docs/writes.md §Embeddings). */
export { createEmbeddingClient, HOW_TO_CONFIGURE } from './client.js';
export type { EmbeddingClientOptions } from './client.js';
export type { EmbeddingClient, EmbeddingProvider } from './types.js';
export { EmbeddingFailed, EmbeddingNotConfigured, EmbeddingConfigInvalid } from './errors.js';
export { mockEmbedding } from './mock.js';
export { l2Normalised } from './vectors.js';
