import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { utcMidnight, coerceType } from '../../src/write/protocol/staging/values.js';
import { parseDate, parseDateTime } from '../../src/query/values.js';

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

describe('DateTime coercion', () => {
  const dateTime = (v: string) =>
    (coerceType({ kind: 'scalar', name: 'DateTime' }, v) as Date).toISOString();

  it('refuses a day the calendar does not have, as Date does (no roll-over into the next month)', () => {
    for (const bad of [
      '2024-02-30T00:00:00Z',
      '2023-02-29T12:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-04-31',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T23:60:00Z',
      '2024-01-01T23:59:60Z',
      '2024-01-01T10:00:00+24:00',
    ]) {
      expect(() => dateTime(bad), bad).toThrow(/expected a DateTime/);
      expect(parseDateTime(bad), bad).toBeNull();
    }
    expect(dateTime('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(dateTime('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(dateTime('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
  });

  it("reads a value without an offset as UTC, whatever the host's TZ (the reference's rule)", () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
        process.env.TZ = tz;
        expect(dateTime('2024-01-01T10:00:00'), tz).toBe('2024-01-01T10:00:00.000Z');
        expect(dateTime('2024-01-01 10:00'), tz).toBe('2024-01-01T10:00:00.000Z');
        expect(dateTime('2024-07-01T10:00:00.25'), tz).toBe('2024-07-01T10:00:00.250Z');
        expect(dateTime('2024-01-01T10:00:00+05:30'), tz).toBe('2024-01-01T04:30:00.000Z');
        expect(dateTime('2024-01-01T10:00:00-0800'), tz).toBe('2024-01-01T18:00:00.000Z');
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
