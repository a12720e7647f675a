/** The embedding client interface (its implementations: mock.ts, openai.ts; the factory: client.ts). */

export type EmbeddingProvider = 'none' | 'mock' | 'openai';

export interface EmbeddingClient {
  readonly provider: EmbeddingProvider;
  readonly model: string;
  /**
   * One L2-normalised vector of `dimension` components per text, in order. Rejects
   * with `EmbeddingFailed` (provider failure) or `EmbeddingNotConfigured`.
   */
  embed(texts: string[], dimension: number): Promise<Float32Array[]>;
}
