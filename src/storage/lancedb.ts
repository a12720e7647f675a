/**
 * @lancedb/lancedb (a CommonJS package with a native addon), loaded on first use so
 * that processes that never touch a table do not pay for it (src/lazy.ts).
 */
import { createRequire } from 'node:module';
import type * as LanceDb from '@lancedb/lancedb';
import { lazy } from '../lazy.js';
import { lanceArrow } from './arrow-bridge.js';

export const lanceDb = lazy(() => {
  const lancedb = createRequire(import.meta.url)('@lancedb/lancedb') as typeof LanceDb;
  lanceArrow(); // patches its IPC writer before lancedb serializes anything
  return lancedb;
});
