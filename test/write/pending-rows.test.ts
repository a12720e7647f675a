import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { monotonicFactory } from 'ulid';
import { compileSchema } from '../../src/schema/index.js';
import {
  PendingRows,
  type Row,
  type RowKind,
} from '../../src/write/protocol/staging/pending-rows.js';
import { rowOfBatch } from '../../src/storage/index.js';

const catalog = compileSchema(
  'node Thing { name: String @key\n n: I64?\n when: Date?\n tags: [String]?\n v: Vector(2)? }\n',
  't.pg',
);
const def = catalog.nodes[0];

const rowFor = (id: string, n: number): Row => ({
  id,
  name: id,
  n: BigInt(n),
  when: n % 3 === 0 ? null : new Date(Date.UTC(2020, 0, 1 + n)),
  tags: n % 2 === 0 ? [`t${n}`, 'x'] : null,
  v: n % 4 === 0 ? null : [n, 0.5],
});

/** What the commit would write, as plain rows. */
function committed(p: PendingRows): Row[] {
  const data = p.commitData();
  if (Array.isArray(data)) return data;
  const out: Row[] = [];
  for (const b of data.batches) for (let r = 0; r < b.numRows; r++) out.push(rowOfBatch(b, r));
  return out;
}

type Op =
  | { op: 'set'; key: number; kind: Exclude<RowKind, 'fresh'>; n: number }
  | { op: 'fresh'; n: number }
  | { op: 'delete'; key: number }
  | { op: 'deleteFresh'; back: number }
  | { op: 'replaceFresh'; back: number; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: fc.nat(30),
    kind: fc.constantFrom('upsert' as const, 'mustBeNew' as const),
    n: fc.nat(1000),
  }),
  fc.record({ op: fc.constant('fresh' as const), n: fc.nat(1000) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(30) }),
  fc.record({ op: fc.constant('deleteFresh' as const), back: fc.nat(20) }),
  fc.record({ op: fc.constant('replaceFresh' as const), back: fc.nat(20), n: fc.nat(1000) }),
);

describe('PendingRows: staged rows, chunked into Arrow past a size', () => {
  it('behaves like a Map of rows (last write wins, replaced rows move to the end) across chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 120 }),
        fc.constantFrom(1, 3, 8, 8192),
        (ops, chunkRows) => {
          const p = new PendingRows(def, chunkRows);
          const model = new Map<string, { row: Row; kind: RowKind; line: number }>();
          let line = 0;
          const newId = monotonicFactory();
          const freshIds: string[] = [];
          const put = (id: string, row: Row, kind: RowKind): void => {
            const old = model.get(id);
            const rank = { upsert: 0, mustBeNew: 1, fresh: 2 };
            const k = old && rank[old.kind] > rank[kind] ? old.kind : kind;
            model.delete(id);
            model.set(id, { row, kind: k, line: ++line });
            p.set(id, row, kind, line);
          };
          for (const o of ops) {
            if (o.op === 'set') put(`k${o.key}`, rowFor(`k${o.key}`, o.n), o.kind);
            else if (o.op === 'fresh') {
              const id = newId();
              freshIds.push(id);
              put(id, rowFor(id, o.n), 'fresh');
            } else if (o.op === 'delete') {
              expect(p.delete(`k${o.key}`)).toBe(model.delete(`k${o.key}`));
            } else if (freshIds.length > 0) {
              const id = freshIds[Math.max(0, freshIds.length - 1 - o.back)];
              if (o.op === 'deleteFresh') expect(p.delete(id)).toBe(model.delete(id));
              else put(id, rowFor(id, o.n), 'upsert');
            }
          }
          expect(p.size).toBe(model.size);
          for (const kind of ['upsert', 'mustBeNew', 'fresh'] as const) {
            expect(p.count(kind)).toBe([...model.values()].filter((v) => v.kind === kind).length);
            expect(p.idsOf(kind)).toEqual(
              [...model].filter(([, v]) => v.kind === kind).map(([id]) => id),
            );
          }
          expect([...p.column('id')]).toEqual([...model.keys()]);
          for (let k = 0; k <= 30; k++) {
            expect(p.has(`k${k}`)).toBe(model.has(`k${k}`));
            expect(p.get(`k${k}`)).toEqual(model.get(`k${k}`)?.row);
            expect(p.lineOf(`k${k}`)).toBe(model.get(`k${k}`)?.line);
          }
          for (const id of freshIds) {
            expect(p.get(id)).toEqual(model.get(id)?.row);
            expect(p.lineOf(id)).toBe(model.get(id)?.line);
          }
          expect(p.has(newId())).toBe(false);
          expect([...p.rows()]).toEqual([...model.values()].map((v) => v.row));
          expect([...p.rows(['id', 'n'])].map((r) => [r.id, r.n])).toEqual(
            [...model.values()].map((v) => [v.row.id, v.row.n]),
          );
          expect(committed(p)).toEqual([...model.values()].map((v) => v.row));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps rows as plain objects until a chunk fills, then commits one Arrow table of every chunk', () => {
    const p = new PendingRows(def, 4);
    for (let i = 0; i < 3; i++) p.set(`k${i}`, rowFor(`k${i}`, i), 'mustBeNew');
    expect(Array.isArray(p.commitData())).toBe(true);
    for (let i = 3; i < 10; i++) p.set(`k${i}`, rowFor(`k${i}`, i), 'mustBeNew');
    const data = p.commitData();
    expect(Array.isArray(data)).toBe(false);
    expect((data as { numRows: number }).numRows).toBe(10);
  });
});
