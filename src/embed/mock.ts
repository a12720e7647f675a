/**
 * The deterministic mock provider (`LANCELOG_EMBEDDINGS=mock`): for tests and offline
 * use. A text's vector is SHA-256 in counter mode over the text (block i hashes
 * `i ‖ 0x00 ‖ text`), each 32-bit word mapped to [-1, 1], cut to the dimension and
 * L2-normalised. Equal texts give equal vectors; different texts give unrelated ones
 * (so "nearest of an exact text is itself" holds, and nothing else is meaningful).
 */
import { createHash } from 'node:crypto';
import type { EmbeddingClient } from './types.js';
import { l2Normalised } from './vectors.js';

const WORDS_PER_BLOCK = 8; // 32 bytes of SHA-256 = 8 uint32 words

export function mockEmbedding(text: string, dimension: number): Float32Array {
  const raw = new Float64Array(dimension);
  for (let block = 0; block * WORDS_PER_BLOCK < dimension; block++) {
    const digest = createHash('sha256').update(`${block}\u0000${text}`, 'utf8').digest();
    for (let w = 0; w < WORDS_PER_BLOCK; w++) {
      const i = block * WORDS_PER_BLOCK + w;
      if (i >= dimension) break;
      raw[i] = digest.readUInt32BE(w * 4) / 0x7fffffff - 1;
    }
  }
  // A zero vector would need every word to be exactly 0x7fffffff: not a practical case,
  // but keep the invariant (unit norm) total.
  return l2Normalised(raw) ?? Float32Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : 0));
}

export function createMockClient(): EmbeddingClient {
  return {
    provider: 'mock',
    model: 'mock-sha256',
    embed(texts, dimension) {
      return Promise.resolve(texts.map((t) => mockEmbedding(t, dimension)));
    },
  };
}
