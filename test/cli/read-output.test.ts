/** The `read` printers and value formatting, in process (the CLI test runs them end to end). */
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/index.js';
import {
  fitWidths,
  renderCsv,
  renderJson,
  renderJsonl,
  renderKv,
  renderTable,
  type ReadDocument,
} from '../../cli/read-output.js';
import { formatValue, parseTypeText, shortestF32 } from '../../cli/read-values.js';

const doc = (
  rows: ReadDocument['rows'],
  columns = Object.keys(rows[0] ?? { a: 1 }),
): ReadDocument => ({
  query_name: 'q',
  target: { branch: 'main', snapshot: 'C1', manifest_version: 2, commit_id: 'C1' },
  row_count: rows.length,
  columns,
  column_types: columns.map(() => 'String'),
  rows,
});

describe('read value formatting', () => {
  it('formats by column type: dates, datetimes, 64-bit integers, blobs, vectors, lists', () => {
    expect(formatValue('2024-02-29', { kind: 'scalar', name: 'Date' }, null)).toBe('2024-02-29');
    expect(formatValue(new Date(Date.UTC(2024, 1, 29)), 'Date', null)).toBe('2024-02-29');
    expect(formatValue(19782, 'Date', null)).toBe('2024-02-29'); // days since the epoch
    expect(formatValue(new Date('2024-01-02T03:04:05.678Z'), 'DateTime', null)).toBe(
      '2024-01-02T03:04:05.678Z',
    );
    expect(formatValue('2024-01-02T04:04:05+01:00', 'DateTime', null)).toBe(
      '2024-01-02T03:04:05.000Z',
    );
    expect(formatValue(2n ** 63n - 1n, 'I64', null)).toBe(9223372036854775807n);
    expect(formatValue('18446744073709551615', 'U64', null)).toBe(18446744073709551615n);
    expect(formatValue(7n, 'I32', null)).toBe(7);
    expect(formatValue(new Uint8Array([0, 255]), 'Blob', null)).toBe('AP8=');
    expect(formatValue(new Float32Array([0.1, 0.5]), 'Vector(2)', null)).toEqual([0.1, 0.5]);
    expect(formatValue(['2024-01-01'], '[Date]', null)).toEqual(['2024-01-01']);
    expect(formatValue(null, 'I64', null)).toBeNull();
    expect(shortestF32(Math.fround(0.1))).toBe(0.1);
    expect(shortestF32(0.1)).toBe(0.1); // not a float32 value: unchanged
  });

  it('formats a whole node by its properties (catalog types)', () => {
    const catalog = compileSchema('node P { name: String @key\n born: Date?\n big: I64? }', 'p.pg');
    expect(
      formatValue(
        { id: 'a', name: 'a', born: new Date(Date.UTC(2000, 0, 2)), big: 5n },
        { kind: 'node', type: 'P' },
        catalog,
      ),
    ).toEqual({ id: 'a', name: 'a', born: '2000-01-02', big: 5n });
  });

  it('parses type texts and rejects unknown ones', () => {
    expect(parseTypeText('[String]')).toEqual({
      kind: 'list',
      element: { kind: 'scalar', name: 'String' },
    });
    expect(parseTypeText('node Person')).toEqual({ kind: 'node', type: 'Person' });
    expect(parseTypeText('Vector(4)')).toEqual({ kind: 'vector', dim: 4 });
    expect(parseTypeText('Nope')).toBeNull();
  });
});

describe('read printers', () => {
  const rows = [
    { name: 'Ada', big: 9007199254740993n, tags: ['x'] },
    { name: null, big: null, tags: null },
  ];

  it('json and jsonl print 64-bit integers with every digit', () => {
    expect(renderJson(doc(rows))).toContain('"big": 9007199254740993');
    const lines = renderJsonl(doc(rows)).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toMatchObject({ query_name: 'q', row_count: 2 });
    expect(lines[1]).toBe('{"name":"Ada","big":9007199254740993,"tags":["x"]}');
  });

  it('csv: header, CRLF, null empty, composites as JSON', () => {
    expect(renderCsv(doc(rows))).toBe('name,big,tags\r\nAda,9007199254740993,"[""x""]"\r\n,,\r\n');
    expect(renderCsv(doc([], ['a', 'b']))).toBe('a,b\r\n');
  });

  it('table: narrows the widest column first, never below 4, and says how many rows', () => {
    expect(fitWidths([10, 30, 5], 40)).toEqual([10, 21, 5]);
    expect(fitWidths([10, 30, 5], 10)).toEqual([4, 4, 4]); // cannot fit: overflows
    expect(fitWidths([10, 30], null)).toEqual([10, 30]);
    const t = renderTable(doc([{ a: 'x'.repeat(50), b: 'short' }]), 30);
    for (const line of t.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(30);
    expect(t).toContain('…');
    expect(t.trimEnd().split('\n').at(-1)).toBe('(1 row)');
    expect(renderTable(doc([], ['a']), null)).toBe('a\n─\n(0 rows)\n');
  });

  it('kv: one block per row, multi-line values indented', () => {
    expect(renderKv(doc([{ a: 'one\ntwo', bb: null }]))).toBe(
      '-- row 1 --\na   one\n    two\nbb  null\n\n(1 row)\n',
    );
  });
});
