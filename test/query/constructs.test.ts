/**
 * Issue 34's constructs at the compiler: undirected traversal, edge binding, the
 * string predicates and query annotations — each form's plan, and each refusal's code
 * and position.
 */
import { describe, expect, it } from 'vitest';
import { LancelogError } from '../../src/errors.js';
import { compileQueries, compileQuery, explain, lintQueries } from '../../src/query/index.js';
import type { ReadPlan } from '../../src/query/index.js';
import { catalog, marked } from './helpers.js';

const plan = (body: string, decl = ''): string =>
  explain(compileQuery(`query q(${decl}) {\n${body}\n}`, 'c.gq', catalog, 'q'));

describe('forms and their plans', () => {
  it('undirected traversal expands both ways, with hop bounds and in not { }', () => {
    expect(plan('match { $p: Person { name: "a" }\n $p <knows> $f } return { $f.name }')).toContain(
      'expand $p -[Knows]- $f: Person [edge:Knows]',
    );
    expect(plan('match { $p: Person\n $p <knows>{1,3} $f } return { $f.name }')).toContain(
      'expand $p -[Knows]- $f: Person [edge:Knows] hops 1..3',
    );
    expect(plan('match { $p: Person\n not { $p <knows> $_ } } return { $p.name }')).toContain(
      '    expand $p -[Knows]- $_1: Person [edge:Knows]',
    );
  });

  it('an edge binding names the edge; its properties filter, project and order', () => {
    const text = plan(
      'match { $p: Person\n $p $k:knows $f\n $k.since > date("2020-01-01") }\n return { $f.name, $k.since }\n order { $k.since desc }',
    );
    expect(text).toContain('expand $p -[$k:Knows]-> $f: Person [edge:Knows]');
    expect(text).toContain('filter $k.since > "2020-01-01"');
    expect(text).toContain('columns f.name: String, k.since: Date');
    expect(plan('match { $p: Person\n $p $k:<knows> $f } return { $k.since }')).toContain(
      'expand $p -[$k:Knows]- $f',
    );
    // Written backwards (`$c worksAt $p`): the edge is followed in.
    expect(plan('match { $c: Company\n $c $w:worksAt $p } return { $w.role }')).toContain(
      'expand $c <-[$w:WorksAt]- $p: Person [edge:WorksAt]',
    );
    // Usable inside not { } (but not outside it).
    expect(
      plan('match { $p: Person\n not { $p $k:knows $f\n $k.since = null } } return { $p.name }'),
    ).toContain('    filter $k.since = null');
  });

  it('string predicates are calls; those on a scanned variable move into its scan', () => {
    expect(
      plan('match { $p: Person\n $p.name starts_with $s } return { $p.name }', '$s: String'),
    ).toContain('scan $p: Person [node:Person] where starts_with($p.name, $s)');
    expect(plan('match { $p: Person\n $p.email contains "@x" } return { $p.name }')).toContain(
      'where contains($p.email, "@x")',
    );
    // Positional: the literal is the haystack (kept as a filter: no index probes it).
    expect(plan('match { $p: Person\n "a b c" contains $p.name } return { $p.name }')).toContain(
      'filter contains("a b c", $p.name)',
    );
    // A parameter on the left is a filter, never a traversal over an edge named contains.
    expect(
      plan('match { $p: Person\n $q contains $p.name } return { $p.name }', '$q: String'),
    ).toContain('filter contains($q, $p.name)');
    // On an expanded variable: a filter after the expansion.
    expect(
      plan('match { $p: Person\n $p knows $f\n $f.name starts_with "b" } return { $f.name }'),
    ).toContain('filter starts_with($f.name, "b")');
    // On an enum; and a list on the left stays membership.
    expect(plan('match { $p: Person\n $p.status starts_with "ret" } return { $p.name }')).toContain(
      'starts_with($p.status, "ret")',
    );
    expect(plan('match { $p: Person\n $p.tags contains "x" } return { $p.name }')).toContain(
      'filter $p.tags contains "x"',
    );
  });

  it('@description and @instruction are kept in the compiled query', () => {
    const p = compileQuery(
      'query q() @description("people by name") @instruction("use for lookups") { match { $p: Person } return { $p.name } }',
      'c.gq',
      catalog,
      'q',
    ) as ReadPlan;
    expect(p.meta).toMatchObject({
      description: 'people by name',
      instruction: 'use for lookups',
    });
  });
});

/** [code, what, source with « at the expected error position]. */
const REFUSALS: Array<[string, string, string]> = [
  [
    'AsymmetricUndirectedEdge',
    'undirected over an edge between two types',
    'query q() { match { $p: Person\n $p <«worksAt> $c } return { $p.name } }',
  ],
  [
    'EdgeBindingMisuse',
    'edge binding with multi-hop bounds',
    'query q() { match { $p: Person\n $p $k:knows«{1,2} $f } return { $f.name } }',
  ],
  [
    'EdgeBindingMisuse',
    'edge binding with an open bound',
    'query q() { match { $p: Person\n $p $k:<knows>«{1,} $f } return { $f.name } }',
  ],
  [
    'DuplicateBinding',
    'edge binding over a node variable',
    'query q() { match { $p: Person\n $f: Person\n $p «$f:knows $g } return { $g.name } }',
  ],
  [
    'DuplicateBinding',
    'the same edge variable twice',
    'query q() { match { $p: Person\n $p $k:knows $f\n $f «$k:knows $g } return { $g.name } }',
  ],
  [
    'DuplicateBinding',
    'edge binding named as a parameter',
    'query q($k: String) { match { $p: Person\n $p «$k:knows $f } return { $f.name } }',
  ],
  [
    'DuplicateBinding',
    'an edge variable named as a node binding (bindings are declared first)',
    'query q() { match { $p: Person\n $p «$k:knows $f\n $k: Person } return { $f.name } }',
  ],
  [
    'EdgeBindingMisuse',
    'bare edge variable in return',
    'query q() { match { $p: Person\n $p $k:knows $f } return { «$k } }',
  ],
  [
    'EdgeBindingMisuse',
    'bare edge variable in order',
    'query q() { match { $p: Person\n $p $k:knows $f } return { $f.name } order { «$k } }',
  ],
  [
    'EdgeBindingMisuse',
    'bare edge variable counted',
    'query q() { match { $p: Person\n $p $k:knows $f } return { count(«$k) as n } }',
  ],
  [
    'EdgeBindingMisuse',
    'edge variable as a traversal endpoint',
    'query q() { match { $p: Person\n $p $k:knows $f\n «$k knows $g } return { $g.name } }',
  ],
  [
    'UnboundVariable',
    'edge variable of a not { } block in return',
    'query q() { match { $p: Person\n not { $p $k:knows $f } } return { «$k.since } }',
  ],
  [
    'UnknownProperty',
    'edge variable without that property',
    'query q() { match { $p: Person\n $p $k:knows $f } return { $k.«role } }',
  ],
  [
    'UnknownProperty',
    "an edge's internal id is not a property",
    'query q() { match { $p: Person\n $p $k:knows $f } return { $k.«id } }',
  ],
  [
    'WildcardMisuse',
    'the wildcard as an edge variable',
    'query q() { match { $p: Person\n $p «$_:knows $f } return { $f.name } }',
  ],
  [
    'TypeMismatch',
    'starts_with on a number',
    'query q() { match { $p: Person\n «$p.age starts_with "1" } return { $p.name } }',
  ],
  [
    'TypeMismatch',
    'contains with a number needle',
    'query q() { match { $p: Person\n $p.name contains «3 } return { $p.name } }',
  ],
  [
    'TypeMismatch',
    'starts_with null',
    'query q() { match { $p: Person\n $p.name starts_with «null } return { $p.name } }',
  ],
  [
    'FunctionMisuse',
    'a predicate called as a function',
    'query q() { match { $p: Person } return { «starts_with($p.name, "a") } }',
  ],
  [
    'ParseError',
    'starts_with in a mutation predicate',
    'query q() { delete Person where name «starts_with "a" }',
  ],
  [
    'ParseError',
    '@description without a string',
    'query q() «@description(3) { match { $p: Person } return { $p.name } }',
  ],
  [
    'ParseError',
    'a second @instruction',
    'query q() @instruction("a") «@instruction("b") { match { $p: Person } return { $p.name } }',
  ],
];

describe('refusals: code and position', () => {
  for (const [code, what, src] of REFUSALS) {
    it(`${code}: ${what}`, () => {
      const { source, line, column } = marked(src);
      let err: unknown;
      try {
        compileQueries(source, 'c.gq', catalog);
      } catch (e) {
        err = e;
      }
      expect(err, 'expected an error').toBeInstanceOf(LancelogError);
      const e = err as LancelogError;
      expect({ code: e.code, line: e.details.line, column: e.details.column }).toEqual({
        code,
        line,
        column,
      });
    });
  }

  it('names a variable bound only inside not { }', () => {
    const { source } = marked(REFUSALS.find((r) => r[1].includes('not { } block'))![2]);
    expect(() => compileQueries(source, 'c.gq', catalog)).toThrow(/bound inside a not \{ \} block/);
  });
});

describe('lint --json: the operation descriptor', () => {
  const SRC = `query people($name: String, $min: I32?) {
  match {
    $p: Person { name: $name }
    $p $k:knows $f
    not { $f worksAt $_ }
  }
  return { $f.name, $f.age, $k.since, $f, $f.tags, count($f) as n, $min as m }
}
query docs($v: Vector(4)) {
  match { $d: Doc }
  return { $d.embedding, nearest($d.embedding, $v) as d }
  order { d }
  limit 3
}
query hire($p: String, $c: String) {
  insert WorksAt { from: $p, to: $c, role: "dev" }
}
query fire($name: String) {
  delete Person where name = $name
}
query broken() { match { $p: Persn } return { $p } }
`;
  const byName = Object.fromEntries(lintQueries(SRC, 'l.gq', catalog).map((r) => [r.name, r]));

  it('a read: params with types, result kinds, what it reads (not { } included), no writes', () => {
    expect(byName.people.operation).toEqual({
      params: [
        { name: 'name', type: 'String', optional: false },
        { name: 'min', type: 'I32', optional: true },
      ],
      result: [
        { name: 'f.name', kind: 'string', nullable: false },
        { name: 'f.age', kind: 'int', nullable: true },
        { name: 'k.since', kind: 'date', nullable: true },
        { name: 'f', kind: 'object', nullable: false },
        { name: 'f.tags', kind: 'list', item_kind: 'string', nullable: true },
        { name: 'n', kind: 'bigint', nullable: false },
        { name: 'm', kind: 'int', nullable: true },
      ],
      reads: [
        { kind: 'node', type_name: 'Company' },
        { kind: 'node', type_name: 'Person' },
        { kind: 'edge', type_name: 'Knows' },
        { kind: 'edge', type_name: 'WorksAt' },
      ],
      writes: [],
    });
    expect(byName.docs.operation!.result).toEqual([
      { name: 'd.embedding', kind: 'vector', vector_dim: 4, nullable: false },
      { name: 'd', kind: 'float', nullable: true },
    ]);
  });

  it('mutations: the exact set of types written (endpoints read; a node delete cascades)', () => {
    expect(byName.hire.operation).toMatchObject({
      result: [],
      reads: [
        { kind: 'node', type_name: 'Company' },
        { kind: 'node', type_name: 'Person' },
        { kind: 'edge', type_name: 'WorksAt' },
      ],
      writes: [{ kind: 'edge', type_name: 'WorksAt' }],
    });
    expect(byName.fire.operation!.writes).toEqual([
      { kind: 'node', type_name: 'Person' },
      { kind: 'edge', type_name: 'Knows' },
      { kind: 'edge', type_name: 'WorksAt' },
    ]);
  });

  it('no descriptor for a query that does not compile', () => {
    expect(byName.broken.status).toBe('error');
    expect(byName.broken.operation).toBeUndefined();
  });
});
