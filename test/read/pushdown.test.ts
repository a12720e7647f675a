import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanWhereSql } from '../../src/read/pushdown.js';
import type { IrExpr } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { Repo } from '../../src/index.js';
import { buildGraph } from './graph.js';

const tmp = useTmpDirs();

const prop = (p: string, name: 'String' | 'I32' | 'Date' | 'Bool'): IrExpr => ({
  kind: 'prop',
  var: 'p',
  prop: p,
  type: { kind: 'scalar', name },
});
const lit = (value: string | number | boolean | null): IrExpr => ({
  kind: 'literal',
  value,
  type: { kind: 'scalar', name: 'String' },
});
const value = (e: IrExpr) => (e.kind === 'literal' ? e.value : undefined);

describe('scan predicates as Lance SQL', () => {
  it('pushes equality and ordering of strings, numbers and booleans; skips the rest', () => {
    expect(
      scanWhereSql(
        [
          { kind: 'compare', op: '=', left: prop('name', 'String'), right: lit("o'k") },
          { kind: 'compare', op: '!=', left: prop('age', 'I32'), right: lit(3) },
          { kind: 'compare', op: '<', left: prop('born', 'Date'), right: lit('2000-01-01') },
          { kind: 'compare', op: 'contains', left: prop('name', 'String'), right: lit('x') },
          { kind: 'compare', op: '=', left: prop('ok', 'Bool'), right: lit(true) },
        ],
        value,
      ),
    ).toBe("`name` = 'o''k' AND `age` <> 3 AND `ok` = TRUE");
  });

  it('a null value makes the scan empty; nothing expressible gives null', () => {
    expect(
      scanWhereSql(
        [{ kind: 'compare', op: '=', left: prop('age', 'I32'), right: lit(null) }],
        value,
      ),
    ).toBe('FALSE');
    expect(scanWhereSql([], value)).toBeNull();
  });

  it('the pushed-down first read, the loading second read and cached reads agree', async () => {
    const repo = await buildGraph(join(tmp(), 'repo'));
    try {
      const source = `query q($a: I32, $n: String) { match { $p: Person { age: $a }
        $p knows $f } return { $p.name, $f.name } order { $p.name, $f.name } }
        query k($n: String) { match { $p: Person { name: $n } } return { $p.name, $p.age } }`;
      const run = (name: string, params: Record<string, unknown>) =>
        repo.query({ source, file: 'q.gq', name, params }).then((r) => r.rows);
      const expected = [
        { 'p.name': 'b', 'f.name': 'c' },
        { 'p.name': 'd', 'f.name': 'e' },
      ];
      for (let i = 0; i < 3; i++) expect(await run('q', { a: 25, n: 'x' })).toEqual(expected);
      for (let i = 0; i < 3; i++) expect(await run('k', { n: "o'k" })).toEqual([]);
      expect(await run('k', { n: 'e' })).toEqual([{ 'p.name': 'e', 'p.age': 40 }]);
    } finally {
      await repo.close();
    }
  });

  it('a first read matching no row and an empty edge table answer empty', async () => {
    const dir = join(tmp(), 'empty');
    await Repo.init(dir, {
      schemaSource: 'node Person { name: String @key }\nedge Knows: Person -> Person',
      schemaFile: 'e.pg',
    });
    const repo = await Repo.open(dir);
    try {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a' });
      });
      const source = `query k($n: String) { match { $p: Person { name: $n } } return { $p.name } }
        query c() { match { $p: Person\n $p knows $f } return { count($f) as n } }`;
      const run = (name: string, params: Record<string, unknown> = {}) =>
        repo.query({ source, file: 'e.gq', name, params }).then((r) => r.rows);
      expect(await run('k', { n: 'zzz' })).toEqual([]);
      expect(await run('c')).toEqual([{ n: 0n }]);
    } finally {
      await repo.close();
    }
  });
});
