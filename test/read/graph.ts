/** A hand-made graph for read tests: every semantic rule has a case in it. */
import { Repo } from '../../src/index.js';

export const SCHEMA = `
node Person {
  name: String @key
  age: I32?
  tags: [String]?
  born: Date?
  seen: DateTime?
  big: I64?
  score: F64?
}
node Company { name: String @key  founded: I64? }
edge Knows: Person -> Person { since: Date? }
edge WorksAt: Person -> Company
`;

/**
 * Knows: a→b (twice: parallel edges), a→c, b→c, c→a (a cycle), c→d, d→e, e→e (a self-loop).
 * WorksAt: a→acme, b→acme, c→globex. f knows nobody and works nowhere.
 */
export async function buildGraph(dir: string): Promise<Repo> {
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'graph.pg' });
  const repo = await Repo.open(dir);
  await repo.transaction((tx) => {
    tx.insert('Person', {
      name: 'a',
      age: 30,
      tags: ['x', 'y'],
      born: '1990-01-02',
      big: '9007199254740993',
      score: 1.5,
    });
    tx.insert('Person', {
      name: 'b',
      age: 25,
      tags: ['y'],
      born: '2001-06-01',
      seen: '2024-01-01T10:00:00Z',
      score: 2.5,
    });
    tx.insert('Person', { name: 'c', age: 35, tags: [], born: '2000-01-01', big: '5' });
    tx.insert('Person', { name: 'd', age: 25 });
    tx.insert('Person', { name: 'e', age: 40, seen: '2000-01-01T00:00:00Z' });
    tx.insert('Person', { name: 'f' });
    tx.insert('Company', { name: 'acme', founded: 1999 });
    tx.insert('Company', { name: 'globex' });
    for (const [s, d] of [
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
      ['c', 'a'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'e'],
    ])
      tx.link('Knows', s, d);
    tx.link('WorksAt', 'a', 'acme');
    tx.link('WorksAt', 'b', 'acme');
    tx.link('WorksAt', 'c', 'globex');
  });
  return repo;
}
