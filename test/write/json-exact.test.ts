/**
 * parseJsonExact (src/json-exact.ts): the same values as a full lossless parse
 * (lossless-json, the oracle), integers beyond 2^53 as bigints, JSON.parse's errors for
 * what is not JSON, and JSON.parse's own work on texts whose 16+ digit runs are not
 * such integers (floats, strings, safe integers).
 */
import fc from 'fast-check';
import { isInteger, isSafeNumber, parse as losslessParse, stringify } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { parseJsonExact, stringifyJsonExact } from '../../src/json-exact.js';

const oracle = (text: string): unknown =>
  losslessParse(text, null, {
    parseNumber: (s: string) => (!isSafeNumber(s) && isInteger(s) ? BigInt(s) : Number(s)),
    onDuplicateKey: ({ newValue }) => newValue,
  });

/** Values full of what trips a digit-run heuristic: big integers, long floats, digit strings. */
const leaf = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.bigInt({ min: 2n ** 53n - 3n, max: 2n ** 53n + 3n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.stringMatching(/^[ -~]{0,4}\d{15,22}[ -~]{0,4}$/),
  fc.string(),
  fc.constantFrom('"', '\\', '\\"', 'a, 12345678901234567890,', '\u0000lancelog0:1'),
  fc.boolean(),
  fc.constant(null),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('object')),
  list: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }),
})).value;

describe('parseJsonExact', () => {
  it('agrees with a full lossless parse on generated texts (bigints beyond 2^53, long floats, digit strings)', () => {
    fc.assert(
      fc.property(json, fc.boolean(), (value, pretty) => {
        const text = pretty ? stringify(value, null, '\t \n')! : stringifyJsonExact(value);
        expect(parseJsonExact(text)).toEqual(oracle(text));
      }),
      { seed: 28, numRuns: 3000 },
    );
  });

  it('keeps 64-bit integers to the last digit, and only those', () => {
    const text =
      '{"a": 9223372036854775807, "b": [-9223372036854775808, 9007199254740993], "s": "9223372036854775807", "f": 0.12345678901234567, "safe": 9007199254740991, "e": 12345678901234567e3}';
    expect(parseJsonExact(text)).toEqual({
      a: 9223372036854775807n,
      b: [-9223372036854775808n, 9007199254740993n],
      s: '9223372036854775807',
      f: Number('0.12345678901234567'),
      safe: 9007199254740991,
      e: Number('12345678901234567e3'),
    });
    expect(parseJsonExact('18446744073709551615')).toBe(18446744073709551615n);
  });

  it('an own "__proto__" key stays a key holding its exact value', () => {
    const out = parseJsonExact('{"__proto__": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(out.__proto__).toBe(12345678901234567890n);
  });

  it("what is not JSON throws JSON.parse's own error, also where a rewrite would make it JSON", () => {
    for (const bad of [
      '{12345678901234567890: 1}',
      '{"a": 1, 12345678901234567890: 2}',
      '[12345678901234567890,',
      '[0012345678901234567]',
      '[1 12345678901234567890]',
      '{"a": 12345678901234567890',
    ]) {
      let expected = '';
      try {
        JSON.parse(bad);
      } catch (err) {
        expected = (err as Error).message;
      }
      expect(expected, bad).not.toBe('');
      expect(() => parseJsonExact(bad), bad).toThrow(expected);
    }
  });
});
