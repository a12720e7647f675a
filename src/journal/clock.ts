/** Time and identifiers for journal events. */
import { getRandomValues } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * ulid's default PRNG draws one byte per call from the OS (`getRandomValues` on a
 * 1-byte array, 16 calls per id); this one draws the same uniform bytes (byte / 256,
 * cryptographic) from a pool refilled 1 KiB at a time. An id was ~3% of a journal
 * write's CPU.
 */
const pool = new Uint8Array(1024);
let next = pool.length;
function pooledByteFraction(): number {
  if (next === pool.length) {
    getRandomValues(pool);
    next = 0;
  }
  return pool[next++] / 256;
}

const nextUlid = monotonicFactory(pooledByteFraction);

/** A new ULID: sortable by creation time, unique across processes. */
export function newId(): string {
  return nextUlid();
}

/** Wall-clock microseconds since the Unix epoch. */
export function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
