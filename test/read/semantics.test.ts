import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo, type ResultRow } from '../../src/index.js';
import { buildGraph } from './graph.js';

let dir: string;
let repo: Repo;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lancelog-read-'));
  // Every answer below comes from graph indexes read from their files (index ensure
  // writes them; the repo is opened again, its caches empty).
  const built = await buildGraph(join(dir, 'repo'));
  await built.ensureIndexes();
  await built.close();
  repo = await Repo.open(join(dir, 'repo'));
});
afterAll(async () => {
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `query q(<decl>) { <body> }`. */
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

const names = (rs: ResultRow[], col = 'p.name'): unknown[] => rs.map((r) => r[col]);
const sorted = (xs: unknown[]): unknown[] => [...xs].map(String).sort();

describe('scans and filters', () => {
  it('a binding match is equality; the key match finds one node', async () => {
    expect(
      await rows(
        'match { $p: Person { name: $n } } return { $p.name, $p.age }',
        { n: 'c' },
        '$n: String',
      ),
    ).toEqual([{ 'p.name': 'c', 'p.age': 35 }]);
    expect(
      await rows('match { $p: Person { age: 25 } } return { $p.name } order { $p.name }'),
    ).toEqual([{ 'p.name': 'b' }, { 'p.name': 'd' }]);
  });

  it('a comparison with null is false (both = and !=)', async () => {
    expect(
      sorted(names(await rows('match { $p: Person\n $p.age != 30 } return { $p.name }'))),
    ).toEqual(['b', 'c', 'd', 'e']);
    expect(await rows('match { $p: Person\n $p.age = null } return { $p.name }')).toEqual([]);
    expect(await rows('match { $p: Person\n $p.age != null } return { $p.name }')).toEqual([]);
    // An optional parameter left out is null: nothing compares with it.
    expect(
      await rows('match { $p: Person\n $p.age < $m } return { $p.name }', {}, '$m: I32?'),
    ).toEqual([]);
  });

  it('contains: membership on a list, substring on a String; a scalar bound to a list property is membership', async () => {
    expect(
      sorted(names(await rows('match { $p: Person\n $p.tags contains "y" } return { $p.name }'))),
    ).toEqual(['a', 'b']);
    expect(
      sorted(names(await rows('match { $p: Person { tags: "x" } } return { $p.name }'))),
    ).toEqual(['a']);
    expect(
      names(
        await rows('match { $c: Company\n $c.name contains "cm" } return { $c.name }'),
        'c.name',
      ),
    ).toEqual(['acme']);
    expect(
      await rows(
        'match { $p: Person\n $p.tags contains $t } return { $p.name }',
        {},
        '$t: String?',
      ),
    ).toEqual([]);
  });

  it('dates, datetimes and 64-bit integers compare and come back in the QueryValue forms', async () => {
    expect(
      sorted(
        names(
          await rows('match { $p: Person\n $p.born >= date("2000-01-01") } return { $p.name }'),
        ),
      ),
    ).toEqual(['b', 'c']);
    expect(
      names(await rows('match { $p: Person\n $p.seen > date("2020-01-01") } return { $p.name }')),
    ).toEqual(['b']);
    expect(
      names(await rows('match { $p: Person\n $p.seen = date("2000-01-01") } return { $p.name }')),
    ).toEqual(['e']);
    const r = await rows(
      'match { $p: Person { name: "a" } } return { $p.born, $p.big, $p.score, $p.tags }',
    );
    expect(r).toEqual([
      { 'p.born': '1990-01-02', 'p.big': 9007199254740993n, 'p.score': 1.5, 'p.tags': ['x', 'y'] },
    ]);
    expect(await rows('match { $p: Person\n $p.big > 6 } return { $p.name }')).toEqual([
      { 'p.name': 'a' },
    ]);
  });

  it('a whole node projects as { id, ...properties }; keys follow the return order', async () => {
    const [row] = await rows('match { $c: Company { name: "acme" } } return { $c, $c.name as n }');
    expect(Object.keys(row)).toEqual(['c', 'n']);
    expect(row.c).toEqual({ id: 'acme', name: 'acme', founded: 1999n });
  });

  it('unconnected bindings are a cross product', async () => {
    expect(
      await rows('match { $p: Person\n $c: Company } return { $p.name, $c.name }'),
    ).toHaveLength(12);
  });
});

describe('traversal', () => {
  it('one hop: each destination once per source even with parallel edges', async () => {
    expect(
      sorted(
        names(
          await rows('match { $p: Person { name: "a" }\n $p knows $f } return { $f.name }'),
          'f.name',
        ),
      ),
    ).toEqual(['b', 'c']);
  });

  it('variable length: breadth-first, each node at its shortest distance, the source never its own destination', async () => {
    const reach = async (hops: string, from = 'a'): Promise<unknown[]> =>
      sorted(
        names(
          await rows(
            `match { $p: Person { name: "${from}" }\n $p knows${hops} $f } return { $f.name }`,
          ),
          'f.name',
        ),
      );
    expect(await reach('{1,3}')).toEqual(['b', 'c', 'd', 'e']);
    expect(await reach('{2,3}')).toEqual(['d', 'e']); // c is at distance 1 though reachable in 2 hops
    expect(await reach('{2}')).toEqual(['d']);
    expect(await reach('{1,}')).toEqual(['b', 'c', 'd', 'e']);
    expect(await reach('', 'e')).toEqual([]); // the self-loop e→e does not make e its own destination
    expect(await reach('{1,5}', 'c')).toEqual(['a', 'b', 'd', 'e']); // the cycle back to c does not count
  });

  it('a traversal written against the edge direction follows it backwards', async () => {
    expect(
      sorted(
        names(
          await rows('match { $c: Company { name: "acme" }\n $c worksAt $p } return { $p.name }'),
        ),
      ),
    ).toEqual(['a', 'b']);
    expect(
      sorted(
        names(
          await rows('match { $c: Company { name: "acme" }\n $p worksAt $c } return { $p.name }'),
        ),
      ),
    ).toEqual(['a', 'b']);
  });

  it('an expansion into a bound variable keeps rows where the path exists', async () => {
    const r = await rows(
      'match { $p: Person\n $q: Person\n $p knows $q\n $q knows $p } return { $p.name, $q.name }',
    );
    expect(sorted(r.map((x) => `${String(x['p.name'])}${String(x['q.name'])}`))).toEqual([
      'ac',
      'ca',
    ]);
  });

  it('a variable reached by traversal gets its property matches as filters', async () => {
    expect(
      await rows(
        'match { $p: Person\n $p worksAt $c\n $c: Company { name: "globex" } } return { $p.name }',
      ),
    ).toEqual([{ 'p.name': 'c' }]);
  });

  it('projection does not de-duplicate: two paths to one node are two rows', async () => {
    // a→b→c and a→c→… : c is reached from a through b and directly; fof rows are per (mid, fof) assignment.
    const r = await rows(
      'match { $p: Person { name: "a" }\n $p knows $m\n $m knows $f } return { $f.name }',
    );
    expect(sorted(names(r, 'f.name'))).toEqual(['a', 'c', 'd']);
    const r2 = await rows(
      'match { $p: Person\n $p knows $m\n $m knows $f\n $f.name = "c" } return { $f.name }',
    );
    // a→b→c and c→a→c: two assignments, one destination, two rows.
    expect(r2).toEqual([{ 'f.name': 'c' }, { 'f.name': 'c' }]);
  });

  it('the wildcard binds a fresh variable per use', async () => {
    expect(
      sorted(names(await rows('match { $p: Person\n $p worksAt $_ } return { $p.name }'))),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('negation', () => {
  it('not { } keeps an assignment when no extension satisfies the inner clauses', async () => {
    expect(
      sorted(names(await rows('match { $p: Person\n not { $p worksAt $_ } } return { $p.name }'))),
    ).toEqual(['d', 'e', 'f']);
    // nobody older than 30 among the people they know
    const r = await rows(
      'match { $p: Person\n not { $p knows $q\n $q.age > 30 } } return { $p.name }',
    );
    expect(sorted(names(r))).toEqual(['c', 'e', 'f']); // a, b know c (35); d knows e (40); e's self-loop reaches no one
  });
});

describe('aggregates', () => {
  it('group by the non-aggregate returns; count($v) counts rows, count($v.p) non-null values', async () => {
    const r = await rows(
      'match { $p: Person\n $p knows $f } return { $p.name, count($f) as n, count($f.born) as born } order { $p.name }',
    );
    expect(r).toEqual([
      { 'p.name': 'a', n: 2n, born: 2n },
      { 'p.name': 'b', n: 1n, born: 1n },
      { 'p.name': 'c', n: 2n, born: 1n },
      { 'p.name': 'd', n: 1n, born: 0n },
    ]);
  });

  it('sum/avg/min/max ignore nulls', async () => {
    expect(
      await rows(
        'match { $p: Person } return { sum($p.age) as s, avg($p.age) as a, min($p.age) as lo, max($p.age) as hi, count($p.age) as c, count($p) as n }',
      ),
    ).toEqual([{ s: 155n, a: 31, lo: 25, hi: 40, c: 5n, n: 6n }]);
    expect(
      await rows('match { $p: Person } return { sum($p.score) as s, min($p.born) as first }'),
    ).toEqual([{ s: 4, first: '1990-01-02' }]);
  });

  it('an aggregate-only return over no rows is one row: count 0, the others null; a grouped one is empty', async () => {
    expect(
      await rows(
        'match { $p: Person\n $p.age > 100 } return { count($p) as n, sum($p.age) as s, avg($p.age) as a, max($p.age) as m }',
      ),
    ).toEqual([{ n: 0n, s: null, a: null, m: null }]);
    expect(
      await rows('match { $p: Person\n $p.age > 100 } return { $p.name, count($p) as n }'),
    ).toEqual([]);
  });
});

describe('order and limit', () => {
  it('asc puts nulls first, desc puts them last; ties are broken by node id', async () => {
    expect(names(await rows('match { $p: Person } return { $p.name } order { $p.age }'))).toEqual([
      'f',
      'b',
      'd',
      'a',
      'c',
      'e',
    ]);
    expect(
      names(await rows('match { $p: Person } return { $p.name } order { $p.age desc }')),
    ).toEqual(['e', 'c', 'a', 'b', 'd', 'f']);
  });

  it('limit applies after order', async () => {
    expect(
      names(
        await rows(
          'match { $p: Person } return { $p.name, $p.age as age } order { age desc } limit 2',
        ),
      ),
    ).toEqual(['e', 'c']);
  });

  it('orders aggregate outputs by alias', async () => {
    expect(
      await rows(
        'match { $p: Person\n $p worksAt $c } return { $c.name, count($p) as n } order { n desc }',
      ),
    ).toEqual([
      { 'c.name': 'acme', n: 2n },
      { 'c.name': 'globex', n: 1n },
    ]);
  });
});

describe('results', () => {
  it('carries the target snapshot, the typed columns and stats', async () => {
    const r = await repo.query({
      source: 'query q() { match { $p: Person\n $p knows $f } return { $p.name, count($f) as n } }',
      file: 'q.gq',
      name: 'q',
    });
    const snap = repo.snapshot();
    expect(r.query).toBe('q');
    expect(r.target).toEqual({
      branch: 'main',
      manifestVersion: snap.manifestVersion,
      commitId: snap.commitId,
    });
    expect(r.columns).toEqual([
      { name: 'p.name', type: { kind: 'scalar', name: 'String' } },
      { name: 'n', type: { kind: 'scalar', name: 'I64' } },
    ]);
    expect(r.stats.tablesRead).toBe(2);
    expect(r.stats.rowsScanned).toBeGreaterThan(0);
    expect(r.stats.ms).toBeGreaterThanOrEqual(0);
  });
});
