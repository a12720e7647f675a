import { expect } from 'vitest';
import { LancelogError } from '../../src/index.js';

/** Awaits `p`, which must reject with a LancelogError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<LancelogError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LancelogError);
    return err as LancelogError;
  }
  throw new Error('expected a rejection');
}
