import { describe, expect, it } from 'vitest';
import { LancelogError } from '../../src/errors.js';
import { bindParams, compileQuery } from '../../src/query/index.js';
import { catalog } from './helpers.js';

const SRC = `
query all_types($s: String, $i: I32, $big: I64, $u: U64, $f: F64, $b: Bool, $d: Date, $t: DateTime,
                $v: Vector(4), $tags: [String], $blob: Blob, $opt: String?) {
    match { $p: Person { name: $s } }
    return { $p.name }
}
query one($n: I32) { match { $p: Person { age: $n } } return { $p.name } }
`;
const plan = compileQuery(SRC, 'p.gq', catalog, 'all_types');
const good = {
  s: 'Alice',
  i: 30,
  big: '9223372036854775807',
  u: 18446744073709551615n.toString(),
  f: 1.5,
  b: true,
  d: '2026-01-02',
  t: '2026-05-01T00:00:00Z',
  v: [1, 2, 3, 4],
  tags: ['a', 'b'],
  blob: 'aGk=',
};

function code(fn: () => unknown): { code: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (e instanceof LancelogError) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error('expected an error');
}

describe('bindParams', () => {
  it('coerces every type', () => {
    const m = bindParams(plan, good);
    expect(m.get('s')).toBe('Alice');
    expect(m.get('i')).toBe(30);
    expect(m.get('big')).toBe(9223372036854775807n);
    expect(m.get('u')).toBe(18446744073709551615n);
    expect(m.get('f')).toBe(1.5);
    expect(m.get('b')).toBe(true);
    expect(m.get('d')).toBe('2026-01-02');
    expect(m.get('t')).toBe('2026-05-01T00:00:00.000Z');
    expect(m.get('v')).toEqual([1, 2, 3, 4]);
    expect(m.get('tags')).toEqual(['a', 'b']);
    expect(m.get('blob')).toEqual(new Uint8Array([104, 105]));
    expect(m.get('opt')).toBeNull();
    expect([...m.keys()]).toEqual([
      's',
      'i',
      'big',
      'u',
      'f',
      'b',
      'd',
      't',
      'v',
      'tags',
      'blob',
      'opt',
    ]);
  });

  it('accepts JSON text, 64-bit integers as numbers or strings, and $-prefixed keys', () => {
    const m = bindParams(plan, JSON.stringify({ ...good, big: 42, $opt: 'x' }));
    expect(m.get('big')).toBe(42n);
    expect(m.get('opt')).toBe('x');
  });

  it('ParamMissing names the parameter and its type', () => {
    const { s: _s, ...rest } = good;
    expect(code(() => bindParams(plan, rest))).toMatchObject({
      code: 'ParamMissing',
      details: { param: 's', expected: 'String', query: 'all_types' },
    });
    expect(code(() => bindParams(plan, { ...good, i: null }))).toMatchObject({
      code: 'ParamMissing',
      details: { param: 'i' },
    });
  });

  it('ParamType names the parameter and the expected type', () => {
    const cases: Array<[string, unknown, string]> = [
      ['s', 5, 'String'],
      ['i', 'x', 'I32'],
      ['i', 1.5, 'I32'],
      ['i', 2 ** 31, 'I32'],
      ['big', '12x', 'I64'],
      ['big', 2 ** 60, 'I64'],
      ['u', '-1', 'U64'],
      ['f', '1.5', 'F64'],
      ['b', 'true', 'Bool'],
      ['d', '2026-02-30', 'Date'],
      ['t', 'yesterday', 'DateTime'],
      ['v', [1, 2, 3], 'Vector(4)'],
      ['v', [1, 2, 'x', 4], 'Vector(4)'],
      ['tags', ['a', 1], '[String]'],
      ['tags', 'a', '[String]'],
      ['blob', 'not base64!', 'Blob'],
      ['opt', 3, 'String?'],
    ];
    for (const [param, value, expected] of cases) {
      expect(
        code(() => bindParams(plan, { ...good, [param]: value })),
        `${param}=${JSON.stringify(value)}`,
      ).toMatchObject({ code: 'ParamType', details: { param, expected } });
    }
  });

  it('ParamUnknown and ParamsInvalid', () => {
    expect(code(() => bindParams(plan, { ...good, nope: 1 }))).toMatchObject({
      code: 'ParamUnknown',
      details: { param: 'nope' },
    });
    expect(code(() => bindParams(plan, '{bad json'))).toMatchObject({ code: 'ParamsInvalid' });
    expect(code(() => bindParams(plan, [1, 2]))).toMatchObject({ code: 'ParamsInvalid' });
  });

  it('error messages name the parameter and expected type', () => {
    const one = compileQuery(SRC, 'p.gq', catalog, 'one');
    expect(() => bindParams(one, { n: 'x' })).toThrow(/parameter 'n' of query one must be I32/);
    expect(() => bindParams(one, {})).toThrow(/needs parameter 'n' \(I32\)/);
  });
});
