/**
 * Issue 34's constructs executed on a hand-made graph: undirected traversal, edge
 * binding and the string predicates, each rule of docs/query-language.md §Semantics.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo, type ResultRow } from '../../src/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const PG = `node Person { name: String @key  nick: String?  city: enum(berlin, bern, osaka)? }
node Company { name: String @key }
edge Knows: Person -> Person { weight: I32?  note: String? }
edge WorksAt: Person -> Company { role: String? }
`;

let dir: string;
let repo: Repo;
/** Knows edge ids by weight. */
const edgeIds = new Map<number, string>();

/**
 * Knows: a→b (1), a→b (2, parallel), b→a (3: the pair both ways), c→a (4), d→d (5, a
 * self-loop), e→f (no weight). g knows nobody. WorksAt: a→acme, b→acme.
 */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lancelog-constructs-'));
  await Repo.init(join(dir, 'repo'), { schemaSource: PG, schemaFile: 'c.pg' });
  repo = await Repo.open(join(dir, 'repo'));
  await repo.transaction((tx) => {
    const people: Array<[string, string | null, string | null]> = [
      ['a', 'Al_%', 'berlin'],
      ['b', 'al', 'bern'],
      ['c', null, 'osaka'],
      ['d', 'Dee', null],
      ['e', '', null],
      ['f', 'eff', null],
      ['g', 'gee', 'berlin'],
    ];
    for (const [name, nick, city] of people) tx.insert('Person', { name, nick, city });
    tx.insert('Company', { name: 'acme' });
    for (const [s, d, weight, note] of [
      ['a', 'b', 1, 'old friend'],
      ['a', 'b', 2, 'colleague'],
      ['b', 'a', 3, null],
      ['c', 'a', 4, 'FRIEND'],
      ['d', 'd', 5, 'self'],
      ['e', 'f', null, null],
    ] as const)
      edgeIds.set(weight ?? 0, tx.link('Knows', s, d, { weight, note }));
    tx.link('WorksAt', 'a', 'acme', { role: 'dev' });
    tx.link('WorksAt', 'b', 'acme', { role: 'ops' });
  });
});
afterAll(async () => {
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(
  body: string,
  params: Record<string, unknown> = {},
  decl = '',
): Promise<ResultRow[]> {
  const r = await repo.query({
    source: `query q(${decl}) {\n${body}\n}`,
    file: 'q.gq',
    name: 'q',
    params,
  });
  return r.rows;
}
const col = (rs: ResultRow[], c: string): unknown[] => rs.map((r) => r[c]);

describe('undirected traversal', () => {
  it('matches either direction; a pair linked both ways (and by parallel edges) appears once', async () => {
    const rs = await rows(
      'match { $p: Person { name: "a" }\n $p <knows> $f } return { $f.name } order { $f.name }',
    );
    expect(col(rs, 'f.name')).toEqual(['b', 'c']);
    // The same from the other end.
    expect(
      col(
        await rows('match { $p: Person { name: "c" }\n $p <knows> $f } return { $f.name }'),
        'f.name',
      ),
    ).toEqual(['a']);
  });

  it('composes with hop bounds: each node once, at its shortest distance either way', async () => {
    const hops = (b: string) =>
      rows(
        `match { $p: Person { name: "c" }\n $p <knows>${b} $f } return { $f.name } order { $f.name }`,
      );
    expect(col(await hops('{1,3}'), 'f.name')).toEqual(['a', 'b']);
    expect(col(await hops('{2}'), 'f.name')).toEqual(['b']);
    // The directed form from c reaches b at distance 2 as well, a at 1; but nothing reaches c.
    expect(
      col(
        await rows(
          'match { $p: Person { name: "b" }\n $p knows{1,3} $f } return { $f.name } order { $f.name }',
        ),
        'f.name',
      ),
    ).toEqual(['a']);
  });

  it('into a bound variable: the rows where an edge joins them either way', async () => {
    const between = (x: string, y: string) =>
      rows(
        `match { $x: Person { name: "${x}" }\n $y: Person { name: "${y}" }\n $x <knows> $y } return { $y.name }`,
      );
    expect(await between('a', 'c')).toHaveLength(1);
    expect(await between('c', 'a')).toHaveLength(1);
    expect(await between('b', 'c')).toHaveLength(0);
  });

  it('in not { }: no edge either way (a self-loop alone does not count: the source is never its own destination)', async () => {
    const rs = await rows(
      'match { $p: Person\n not { $p <knows> $_ } } return { $p.name } order { $p.name }',
    );
    expect(col(rs, 'p.name')).toEqual(['d', 'g']);
  });
});

describe('edge binding', () => {
  it('one row per matching edge: parallel edges are separate rows', async () => {
    const rs = await rows(
      'match { $p: Person { name: "a" }\n $p $w:knows $f } return { $f.name, $w.weight, $w.note } order { $w.weight }',
    );
    expect(rs).toEqual([
      { 'f.name': 'b', 'w.weight': 1, 'w.note': 'old friend' },
      { 'f.name': 'b', 'w.weight': 2, 'w.note': 'colleague' },
    ]);
  });

  it("filters, projects and orders by the edge's properties", async () => {
    const rs = await rows(
      'match { $p: Person\n $p $w:knows $f\n $w.weight >= $min } return { $p.name, $f.name, $w.weight as w } order { w desc }',
      { min: 2 },
      '$min: I32',
    );
    expect(rs.map((r) => [r['p.name'], r['f.name'], r.w])).toEqual([
      ['d', 'd', 5],
      ['c', 'a', 4],
      ['b', 'a', 3],
      ['a', 'b', 2],
    ]);
    // An edge property with a string predicate; and an aggregate over the edge property.
    expect(
      col(
        await rows(
          'match { $p: Person\n $p $w:knows $f\n $w.note contains "friend" } return { $p.name }',
        ),
        'p.name',
      ),
    ).toEqual(['a']);
    expect(
      await rows(
        'match { $p: Person { name: "a" }\n $p $w:knows $f } return { $f.name, sum($w.weight) as s }',
      ),
    ).toEqual([{ 'f.name': 'b', s: 3n }]);
  });

  it('undirected: every edge touching the node once, the self-loop too; written backwards it follows the edge in', async () => {
    const rs = await rows(
      'match { $p: Person { name: "a" }\n $p $w:<knows> $f } return { $f.name, $w.weight } order { $w.weight }',
    );
    expect(rs.map((r) => [r['f.name'], r['w.weight']])).toEqual([
      ['b', 1],
      ['b', 2],
      ['b', 3],
      ['c', 4],
    ]);
    expect(
      await rows(
        'match { $p: Person { name: "d" }\n $p $w:<knows> $f } return { $f.name, $w.weight }',
      ),
    ).toEqual([{ 'f.name': 'd', 'w.weight': 5 }]);
    expect(
      await rows('match { $p: Person { name: "d" }\n $p $w:knows $f } return { $f.name }'),
    ).toEqual([{ 'f.name': 'd' }]);
    const roles = await rows(
      'match { $c: Company\n $c $r:worksAt $p } return { $p.name, $r.role } order { $p.name }',
    );
    expect(roles).toEqual([
      { 'p.name': 'a', 'r.role': 'dev' },
      { 'p.name': 'b', 'r.role': 'ops' },
    ]);
  });

  it('into a bound variable: one row per edge between them', async () => {
    const rs = await rows(
      'match { $x: Person { name: "a" }\n $y: Person { name: "b" }\n $x $w:<knows> $y } return { $w.weight } order { $w.weight }',
    );
    expect(col(rs, 'w.weight')).toEqual([1, 2, 3]);
  });

  it('ties in order are broken by the node ids, then the edge ids', async () => {
    // Rewriting the first parallel edge moves its row after the second's in the table.
    await repo.change({
      source: 'query touch() { update Knows set { note: "old friend" } where weight = 1 }',
      file: 't.gq',
      name: 'touch',
    });
    const scanOrder = await rows(
      'match { $p: Person { name: "a" }\n $p $w:knows $f } return { $w.weight }',
    );
    const byId = [1, 2].sort((x, y) => (edgeIds.get(x)! < edgeIds.get(y)! ? -1 : 1));
    expect(col(scanOrder, 'w.weight')).not.toEqual(byId);
    const rs = await rows(
      'match { $p: Person { name: "a" }\n $p $w:knows $f } return { $w.weight } order { $f.name }',
    );
    expect(col(rs, 'w.weight')).toEqual(byId);
  });

  it("a read that filters the edge table to the start nodes' edges (no cache) answers as cached reads", async () => {
    const uncached = await Repo.open(join(dir, 'repo'), { readOnly: true, readCacheBytes: 1 });
    try {
      for (const body of [
        'match { $p: Person { name: "a" }\n $p $w:knows $f } return { $f.name, $w.weight } order { $w.weight }',
        'match { $p: Person { name: "a" }\n $p $w:<knows> $f } return { $f.name, $w.weight } order { $w.weight }',
        'match { $c: Company\n $c $r:worksAt $p } return { $p.name, $r.role } order { $p.name }',
        'match { $p: Person\n $p $w:knows $f\n $w.weight > 1 } return { $p.name, $f.name } order { $p.name, $f.name }',
        // No start node: no edge read, no rows.
        'match { $p: Person { name: "nobody" }\n $p $w:knows $f } return { count($w.weight) as n }',
      ]) {
        const q = { source: `query q() {\n${body}\n}`, file: 'q.gq', name: 'q' };
        const want = (await repo.query(q)).rows;
        expect(want.length).toBeGreaterThan(0);
        expect((await uncached.query(q)).rows, body).toEqual(want);
      }
    } finally {
      await uncached.close();
    }
  });

  it('inside not { }: usable within the block', async () => {
    // People with no outgoing Knows edge of weight above 2.
    const rs = await rows(
      'match { $p: Person\n not { $p $w:knows $_\n $w.weight > 2 } } return { $p.name } order { $p.name }',
    );
    expect(col(rs, 'p.name')).toEqual(['a', 'e', 'f', 'g']);
  });

  it("a transaction's query sees its staged edges with their properties", async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'lancelog-constructs-tx-'));
    const r2 = await Repo.init(join(dir2, 'repo'), { schemaSource: PG, schemaFile: 'c.pg' }).then(
      () => Repo.open(join(dir2, 'repo')),
    );
    try {
      await r2.transaction((tx) => {
        tx.insert('Person', { name: 'x' });
        tx.insert('Person', { name: 'y' });
        tx.link('Knows', 'x', 'y', { weight: 7 });
      });
      await r2.transaction(async (tx) => {
        tx.link('Knows', 'y', 'x', { weight: 8 });
        const out = await tx.query({
          source:
            'query q() { match { $p: Person { name: "x" }\n $p $w:<knows> $f } return { $w.weight } order { $w.weight } }',
          file: 'q.gq',
          name: 'q',
        });
        expect(col(out.rows, 'w.weight')).toEqual([7, 8]);
      });
    } finally {
      await r2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('starts_with and contains', () => {
  const names = async (filter: string, params: Record<string, unknown> = {}, decl = '') =>
    col(
      await rows(
        `match { $p: Person\n ${filter} } return { $p.name } order { $p.name }`,
        params,
        decl,
      ),
      'p.name',
    );

  it('exact and case-sensitive; _ and % are literal; the empty needle matches every non-null value', async () => {
    expect(await names('$p.nick starts_with "Al"')).toEqual(['a']);
    expect(await names('$p.nick starts_with "al"')).toEqual(['b']);
    expect(await names('$p.nick contains "_%"')).toEqual(['a']);
    expect(await names('$p.nick contains "%"')).toEqual(['a']);
    expect(await names('$p.nick contains "e"')).toEqual(['d', 'f', 'g']);
    expect(await names('$p.nick starts_with ""')).toEqual(['a', 'b', 'd', 'e', 'f', 'g']);
  });

  it('nulls never match: a null property, an absent optional parameter', async () => {
    expect(await names('$p.nick contains $n', {}, '$n: String?')).toEqual([]);
    expect(await names('$p.nick contains $n', { n: 'ee' }, '$n: String?')).toEqual(['d', 'g']);
  });

  it('positional: the left operand is the haystack', async () => {
    expect(await names('"a-b-z" contains $p.name')).toEqual(['a', 'b']);
    expect(await names('"Alice" starts_with $p.nick')).toEqual(['e']);
    expect(await names('$q contains $p.nick', { q: 'xx gee eff' }, '$q: String')).toEqual([
      'e',
      'f',
      'g',
    ]);
  });

  it('on an enum property', async () => {
    expect(await names('$p.city starts_with "ber"')).toEqual(['a', 'b', 'g']);
    expect(await names('$p.city contains "n"')).toEqual(['a', 'b', 'g']);
  });
});
