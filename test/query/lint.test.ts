import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { lintQueries } from '../../src/query/index.js';
import { catalog } from './helpers.js';

const SRC = `query add_person($name: String) {
    insert Person { name: $name, status: "active" }
}
query set_age($name: String, $age: I32) {
    update Person set { age: $age } where name = $name
}
query constant() {
    delete Person where name = "nobody"
}
query unused($name: String, $extra: I64) {
    match { $p: Person { name: $name } }
    return { $p.age }
}
query broken() {
    match { $p: Persn }
    return { $p }
}
query link($a: String, $b: String) {
    insert Knows { from: $a, to: $b }
}
`;

describe('lintQueries', () => {
  const results = lintQueries(SRC, 'lint.gq', catalog);
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));

  it('reports every query in file order with kind and status', () => {
    expect(results.map((r) => [r.name, r.kind, r.status])).toEqual([
      ['add_person', 'mutation', 'ok'],
      ['set_age', 'mutation', 'ok'],
      ['constant', 'mutation', 'ok'],
      ['unused', 'read', 'ok'],
      ['broken', 'read', 'error'],
      ['link', 'mutation', 'ok'],
    ]);
  });

  it('an error carries code and position', () => {
    expect(byName.broken.errors).toHaveLength(1);
    expect(byName.broken.errors[0]).toMatchObject({
      code: 'UnknownType',
      line: 15,
      column: 17,
      file: 'lint.gq',
    });
  });

  it('NullableNeverSet: nullable properties an insert leaves null that no update in the file sets', () => {
    // age is set by set_age, so only the other nullable Person properties are reported.
    expect(byName.add_person.warnings).toEqual([
      expect.objectContaining({
        code: 'NullableNeverSet',
        line: 2,
        column: 12,
        details: { type: 'Person', properties: ['email', 'tags', 'born', 'score'] },
      }),
    ]);
    expect(byName.link.warnings).toEqual([
      expect.objectContaining({
        code: 'NullableNeverSet',
        details: { type: 'Knows', properties: ['since'] },
      }),
    ]);
  });

  it('MutationWithoutParameters', () => {
    expect(byName.constant.warnings).toEqual([
      expect.objectContaining({ code: 'MutationWithoutParameters', line: 7, column: 7 }),
    ]);
    expect(byName.set_age.warnings).toEqual([]);
  });

  it('UnusedParameter', () => {
    expect(byName.unused.warnings).toEqual([
      expect.objectContaining({
        code: 'UnusedParameter',
        line: 10,
        column: 29,
        details: { param: 'extra' },
      }),
    ]);
  });

  it('a syntax error throws ParseError with a position', () => {
    expect(() => lintQueries('query q( {', 'bad.gq', catalog)).toThrow(ParseError);
  });
});
