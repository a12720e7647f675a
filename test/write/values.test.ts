import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { utcMidnight, coerceType } from '../../src/write/protocol/staging/values.js';
import { parseDate } from '../../src/query/values.js';

/** The definition the fast path must agree with: parseDate's check, then the ISO string at midnight. */
const reference = (s: string): Date | null =>
  parseDate(s) ? new Date(`${s}T00:00:00.000Z`) : null;

describe('Date coercion fast path', () => {
  it('agrees with the regex + Date.parse definition on dates and near-dates', () => {
    const near = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
      )
      .map(
        ([y, m, d]) =>
          `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      );
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 12 })), (s) => {
        expect(utcMidnight(s)?.getTime() ?? null).toBe(reference(s)?.getTime() ?? null);
      }),
      { seed: 7, numRuns: 5000 },
    );
  });

  it('accepts real calendar days only', () => {
    expect(utcMidnight('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(utcMidnight('0001-01-01')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(utcMidnight('0099-12-31')?.toISOString()).toBe('0099-12-31T00:00:00.000Z');
    for (const bad of [
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2024-1-01',
      '2024-01-01T00:00:00Z',
      '2024/01/01',
      '２０２４-01-01',
      '',
    ]) {
      expect(utcMidnight(bad), bad).toBeNull();
    }
    expect(() => coerceType({ kind: 'scalar', name: 'Date' }, '2023-02-29')).toThrow(
      /expected a Date/,
    );
  });
});
