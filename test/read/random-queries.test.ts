/**
 * Property test (issue 13 §7): random small graphs and random read queries, run
 * through `repo.query` on real Lance tables, compared with the brute-force evaluator
 * of test/read/brute-force.ts (issue 13 §4's semantics, taken literally).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';
import {
  MODEL_PG,
  columnNames,
  compareForOrder,
  evaluate,
  genGraph,
  genQuery,
  queryText,
  type Graph,
  type Query,
} from './brute-force.js';

type Cell = string | number | null;

/** Executor values as the model's: counts and sums may be bigints; floats rounded. */
function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toFixed(9));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const canon = (rows: Cell[][]): string[] =>
  rows
    .map((r) => JSON.stringify(r.map((c) => (typeof c === 'number' ? Number(c.toFixed(9)) : c))))
    .sort();

function orderKeys(q: Query, rows: Cell[][]): string {
  return JSON.stringify(rows.map((r) => q.order.map((o) => r[o.col])));
}

/** `got` is a correct answer for `q` when `want` is the full ordered answer. */
function checkAnswer(q: Query, want: Cell[][], got: Cell[][]): string | null {
  const limit = q.limit ?? Infinity;
  const n = Math.min(limit, want.length);
  if (got.length !== n) return `expected ${n} rows, got ${got.length}`;
  const wantBag = canon(want);
  const gotBag = canon(got);
  if (q.limit === undefined) {
    if (JSON.stringify(wantBag) !== JSON.stringify(gotBag)) return 'rows differ';
  } else {
    const pool = [...wantBag];
    for (const r of gotBag) {
      const i = pool.indexOf(r);
      if (i < 0) return `row ${r} is not in the answer`;
      pool.splice(i, 1);
    }
  }
  if (q.order.length) {
    // The order keys of the rows returned must be exactly the first n of the sorted answer.
    if (orderKeys(q, got) !== orderKeys(q, want.slice(0, n))) return 'order differs';
    for (let i = 1; i < got.length; i++)
      for (const o of q.order) {
        const c = compareForOrder(got[i - 1][o.col], got[i][o.col], o.dir);
        if (c < 0) break;
        if (c > 0) return `rows ${i - 1} and ${i} are out of order`;
      }
  }
  return null;
}

/**
 * The graph in a new repo. `fromDisk`: its indexes built (`index ensure`: key BTREEs and
 * graph index files) and the repo opened again, so every traversal reads its graph
 * index from the file, every first read of a table its columns in part.
 */
async function loadGraph(dir: string, g: Graph, fromDisk: boolean): Promise<Repo> {
  await Repo.init(dir, { schemaSource: MODEL_PG, schemaFile: 'model.pg' });
  const repo = await Repo.open(dir);
  await repo.transaction((tx) => {
    for (const n of g.nodes) tx.insert(n.type, { name: n.name, ...n.props });
    for (const [a, b, w] of g.knows) tx.link('Knows', a, b, { w });
    for (const [a, b] of g.visits) tx.link('Visits', a, b);
  });
  if (!fromDisk) return repo;
  await repo.ensureIndexes();
  await repo.close();
  return Repo.open(dir);
}

const QUERIES_PER_GRAPH = 25;
/** Graphs per run (each with QUERIES_PER_GRAPH queries); LANCELOG_PROPTEST_RUNS=500 for a deep run. */
const GRAPHS = Number(process.env.LANCELOG_PROPTEST_RUNS ?? 30);

describe('random read queries agree with a brute-force evaluator', () => {
  const tmp = useTmpDirs();

  it('matches on random graphs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const g = genGraph(seed);
        // Half the graphs read their graph indexes from files, half build them.
        const repo = await loadGraph(tmp(), g, seed % 2 === 0);
        try {
          for (let i = 0; i < QUERIES_PER_GRAPH; i++) {
            const q = genQuery(seed * 131 + i);
            const text = queryText(q);
            const where = `graph seed ${seed} ${JSON.stringify(g)}\nquery ${i}:\n${text}`;
            let out;
            try {
              out = await repo.query({ source: text, file: 'random.gq', name: 'q' });
            } catch (err) {
              throw new Error(`${where}\nfailed: ${String(err)}`);
            }
            expect(
              out.columns.map((c) => c.name),
              where,
            ).toEqual(columnNames(q));
            const got = out.rows.map((r) => out.columns.map((c) => cell(r[c.name])));
            const want = evaluate(g, q).map((r) => r.map(cell));
            const problem = checkAnswer(q, want, got);
            expect(
              problem,
              `${where}\nwant ${JSON.stringify(want)}\ngot  ${JSON.stringify(got)}`,
            ).toBeNull();
          }
        } finally {
          await repo.close();
        }
      }),
      { numRuns: GRAPHS },
    );
  }, 600_000);

  it('the model itself: shortest-distance hops, undirected and edge-bound traversals, string predicates, null comparisons, empty aggregates', () => {
    const g: Graph = {
      nodes: [
        { type: 'P', name: 'p0', props: { age: 1, tag: null, tags: ['x'] } },
        { type: 'P', name: 'p1', props: { age: null, tag: 'ab', tags: null } },
        { type: 'P', name: 'p2', props: { age: 3, tag: 'b', tags: [] } },
      ],
      knows: [
        ['p0', 'p1', null],
        ['p0', 'p1', 1],
        ['p1', 'p2', null],
        ['p0', 'p2', null],
        ['p2', 'p0', null],
        ['p1', 'p1', null],
      ],
      visits: [],
    };
    const hop = (min: number, max: number): Query => ({
      vars: { a: 'P', b: 'P' },
      clauses: [
        { k: 'bind', v: 'a', type: 'P', match: { prop: 'name', lit: 'p0' } },
        { k: 'trav', a: 'a', edge: 'knows', b: 'b', hops: [min, max] },
      ],
      ret: [{ e: { k: 'prop', v: 'b', prop: 'name' } }],
      order: [{ col: 0 }],
    });
    // p1 and p2 are at distance 1 (twice for p1); p0 is the source, never a destination.
    expect(evaluate(g, hop(1, 1))).toEqual([['p1'], ['p2']]);
    expect(evaluate(g, hop(2, 3))).toEqual([]);
    const nulls: Query = {
      vars: { a: 'P' },
      clauses: [{ k: 'filter', v: 'a', prop: 'age', op: '!=', lit: 3 }],
      ret: [{ e: { k: 'prop', v: 'a', prop: 'name' } }],
      order: [],
    };
    expect(evaluate(g, nulls)).toEqual([['p0']]);
    const none: Query = {
      vars: { a: 'P' },
      clauses: [{ k: 'filter', v: 'a', prop: 'age', op: '>', lit: 9 }],
      ret: [
        { e: { k: 'agg', fn: 'count', v: 'a' }, alias: 'n' },
        { e: { k: 'agg', fn: 'sum', v: 'a', prop: 'age' }, alias: 's' },
      ],
      order: [],
    };
    expect(evaluate(g, none)).toEqual([[0, null]]);
    expect(queryText(hop(1, 2))).toContain('$a knows{1,2} $b');
    // Undirected: p1's neighbours either way, once each, never p1 itself (its self-loop).
    const und: Query = {
      ...hop(1, 1),
      clauses: [
        { k: 'bind', v: 'a', type: 'P', match: { prop: 'name', lit: 'p1' } },
        { k: 'trav', a: 'a', edge: 'knows', b: 'b', und: true },
      ],
    };
    expect(evaluate(g, und)).toEqual([['p0'], ['p2']]);
    expect(queryText(und)).toContain('$a <knows> $b');
    // Edge-bound: one row per edge (the parallel p0→p1 twice); undirected, p1's self-loop once.
    const edges = (name: string, undirected: boolean): Query => ({
      vars: { a: 'P', b: 'P' },
      evars: ['e1'],
      clauses: [
        { k: 'bind', v: 'a', type: 'P', match: { prop: 'name', lit: name } },
        { k: 'trav', a: 'a', edge: 'knows', b: 'b', und: undirected, ev: 'e1' },
      ],
      ret: [{ e: { k: 'prop', v: 'b', prop: 'name' } }, { e: { k: 'prop', v: 'e1', prop: 'w' } }],
      order: [{ col: 0 }, { col: 1 }],
    });
    expect(evaluate(g, edges('p0', false))).toEqual([
      ['p1', null],
      ['p1', 1],
      ['p2', null],
    ]);
    expect(evaluate(g, edges('p1', true))).toEqual([
      ['p0', null],
      ['p0', 1],
      ['p1', null],
      ['p2', null],
    ]);
    expect(queryText(edges('p1', true))).toContain('$a $e1:<knows> $b');
    // String predicates: exact prefix; positional (the literal is the haystack); nulls never match.
    const strings = (op: 'starts_with' | 'contains', lit: string, flip: boolean): Query => ({
      vars: { a: 'P' },
      clauses: [{ k: 'filter', v: 'a', prop: 'tag', op, lit, flip }],
      ret: [{ e: { k: 'prop', v: 'a', prop: 'name' } }],
      order: [{ col: 0 }],
    });
    expect(evaluate(g, strings('starts_with', 'a', false))).toEqual([['p1']]);
    expect(evaluate(g, strings('contains', 'xaby', true))).toEqual([['p1'], ['p2']]);
    expect(queryText(strings('contains', 'xaby', true))).toContain('"xaby" contains $a.tag');
  });
});
