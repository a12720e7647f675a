/**
 * `starts_with` and String `contains` (issue 34 §3): exact, case-sensitive, positional,
 * `_` and `%` literal, nulls never match — and the same answers whether the scan pushes
 * them down to Lance (every read of a repo whose read cache holds nothing pushes its
 * scan's predicates) or filters cached columns in memory, with or without indexes (a
 * BTREE on the key and on the enum, an inverted index on the title). A property test:
 * random rows and needles (quotes, wildcards, accents, the last code point, the empty
 * string), every side compared with a plain JavaScript evaluation.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { prefixUpperBound, scanWhereSql } from '../../src/read/pushdown.js';
import type { IrExpr } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { prng } from './brute-force.js';

const tmp = useTmpDirs();

const PG = `node Doc {
  slug: String @key
  title: String? @index
  kind: enum(alpha, beta, gamma)? @index
}`;

const PIECES = ['a', 'b', 'A', '_', '%', "'", 'é', '\u{10FFFF}', ' ', 'ab', '"', '\\'];
const KINDS = ['alpha', 'beta', 'gamma', null];

interface Doc {
  slug: string;
  title: string | null;
  kind: string | null;
}

function randomText(r: () => number, max: number): string {
  let s = '';
  for (let n = Math.floor(r() * (max + 1)); n > 0; n--)
    s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

function docs(seed: number): Doc[] {
  const r = prng(seed);
  return Array.from({ length: 4 + Math.floor(r() * 12) }, (_, i) => ({
    slug: `${randomText(r, 3)}#${i}`,
    title: r() < 0.2 ? null : randomText(r, 4),
    kind: KINDS[Math.floor(r() * KINDS.length)],
  }));
}

interface Case {
  op: 'starts_with' | 'contains';
  prop: keyof Doc;
  needle: string | null;
  /** `"literal" op $d.prop`: the literal is the haystack. */
  flip: boolean;
  asParam: boolean;
}

function randomCase(r: () => number): Case {
  const prop = (['slug', 'title', 'kind'] as const)[Math.floor(r() * 3)];
  const needle =
    r() < 0.1
      ? null
      : prop === 'kind' && r() < 0.6
        ? ['al', 'a', 'gam', 'eta', ''][Math.floor(r() * 5)]
        : randomText(r, 2);
  return {
    op: r() < 0.5 ? 'starts_with' : 'contains',
    prop,
    needle,
    flip: needle !== null && r() < 0.2,
    asParam: needle === null || r() < 0.5,
  };
}

/** The .gq string literal of `s` (the lexer's escapes: `\"` and `\\`). */
const gqString = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

function source(c: Case): string {
  const needle = c.asParam ? '$n' : gqString(c.needle!);
  const filter = c.flip ? `${needle} ${c.op} $d.${c.prop}` : `$d.${c.prop} ${c.op} ${needle}`;
  return `query q(${c.asParam ? '$n: String?' : ''}) {
  match {
    $d: Doc
    ${filter}
  }
  return { $d.slug }
}`;
}

function expected(rows: Doc[], c: Case): string[] {
  const test = (h: string, n: string) => (c.op === 'starts_with' ? h.startsWith(n) : h.includes(n));
  return rows
    .filter((d) => {
      const v = d[c.prop];
      if (v === null || c.needle === null) return false;
      return c.flip ? test(c.needle, v) : test(v, c.needle);
    })
    .map((d) => d.slug)
    .sort();
}

async function repoOf(dir: string, rows: Doc[], indexed: boolean, cacheBytes?: number) {
  await Repo.init(dir, { schemaSource: PG, schemaFile: 'docs.pg' });
  const setup = await Repo.open(dir);
  await setup.transaction((tx) => {
    for (const d of rows) tx.insert('Doc', { ...d });
  });
  if (indexed) await setup.ensureIndexes();
  await setup.close();
  return Repo.open(dir, cacheBytes === undefined ? {} : { readCacheBytes: cacheBytes });
}

describe('starts_with and contains answer the same with or without pushdown and indexes', () => {
  it('random rows and needles: pushed to Lance (indexed or not), filtered in memory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const rows = docs(seed);
        const dir = tmp();
        // A read cache of one byte caches nothing: every scan pushes its predicates down.
        const sides = {
          indexedPushed: await repoOf(join(dir, 'i'), rows, true, 1),
          plainPushed: await repoOf(join(dir, 'p'), rows, false, 1),
          plainInMemory: await repoOf(join(dir, 'm'), rows, false),
        };
        try {
          const r = prng(seed ^ 0x5eed);
          for (let i = 0; i < 12; i++) {
            const c = randomCase(r);
            const want = expected(rows, c);
            const params = c.asParam && c.needle !== null ? { n: c.needle } : {};
            for (const [side, repo] of Object.entries(sides))
              for (let read = 0; read < 2; read++) {
                const out = await repo.query({
                  source: source(c),
                  file: 's.gq',
                  name: 'q',
                  params,
                });
                const got = out.rows.map((x) => String(x['d.slug'])).sort();
                expect(
                  got,
                  `${side} read ${read}\n${source(c)}\n${JSON.stringify({ rows, c })}`,
                ).toEqual(want);
              }
          }
        } finally {
          for (const repo of Object.values(sides)) await repo.close();
        }
      }),
      { numRuns: Number(process.env.LANCELOG_PROPTEST_RUNS ?? 6) },
    );
  }, 600_000);

  it('prefix ranges: the bound after every string with the prefix, in code-point order', () => {
    expect(prefixUpperBound('ab')).toBe('ac');
    expect(prefixUpperBound('')).toBeNull();
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{10FFFF}')).toBeNull();
    // The surrogate range is not a code point: after U+D7FF comes U+E000.
    expect(prefixUpperBound('\uD7FF')).toBe('\uE000');
  });

  it('SQL: starts_with a range, contains a scan filter, empty needles never sent to an index', () => {
    const prop: IrExpr = {
      kind: 'prop',
      var: 'd',
      prop: 'slug',
      type: { kind: 'scalar', name: 'String' },
    };
    const lit = (value: string | null): IrExpr => ({
      kind: 'literal',
      value,
      type: { kind: 'scalar', name: 'String' },
    });
    const call = (fn: 'starts_with' | 'contains', a: IrExpr, b: IrExpr): IrExpr => ({
      kind: 'call',
      fn,
      args: [a, b],
      type: { kind: 'scalar', name: 'Bool' },
    });
    const value = (e: IrExpr) => (e.kind === 'literal' ? e.value : undefined);
    const sql = (w: IrExpr[], exact = false) => scanWhereSql(w, value, exact);
    expect(sql([call('starts_with', prop, lit("o'k"))])).toBe(
      "`slug` >= 'o''k' AND `slug` < 'o''l'",
    );
    expect(sql([call('starts_with', prop, lit(''))])).toBe('`slug` IS NOT NULL');
    expect(sql([call('contains', prop, lit('_%'))])).toBe("contains(`slug`, '_%')");
    expect(sql([call('contains', prop, lit(''))])).toBe('`slug` IS NOT NULL');
    expect(sql([call('contains', prop, lit(null))])).toBe('FALSE');
    // A lone surrogate would reach Lance altered: kept in memory.
    expect(sql([call('contains', prop, lit('\uD800'))])).toBeNull();
    // The positional form (literal haystack) is evaluated in memory; an exact prefilter
    // (top-k) needs every predicate in SQL.
    const flipped = call('contains', lit('abc'), prop);
    expect(sql([flipped])).toBeNull();
    expect(sql([call('starts_with', prop, lit('a')), flipped])).toBe(
      "`slug` >= 'a' AND `slug` < 'b'",
    );
    expect(sql([call('starts_with', prop, lit('a')), flipped], true)).toBeNull();
  });
});
