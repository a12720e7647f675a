import { describe, expect, it } from 'vitest';
import { LancelogError } from '../../src/errors.js';
import { compileQueries } from '../../src/query/index.js';
import { catalog, marked } from './helpers.js';

/** Each case: a .gq source with « before the token the error must point at, and the expected code. */
const CASES: Array<[string, string, string]> = [
  // ── syntax ──
  ['ParseError', 'param list not closed', 'query q(«{ match { $p: Person } return { $p.name } }'],
  ['ParseError', 'missing return', 'query q() {\n  match { $p: Person }\n«}'],
  [
    'ParseError',
    'unterminated string',
    'query q() { match { $p: Person { name: «"abc } } return { $p } }',
  ],
  [
    'ParseError',
    'unexpected character',
    'query q() { match { $p: Person\n $p.age «# 3 } return { $p } }',
  ],
  ['ParseError', 'body starts with neither match nor a statement', 'query q() { «select }'],
  ['ParseError', 'empty match block', 'query q() { match { «} return { $p } }'],
  [
    'ParseError',
    'limit needs an integer',
    'query q() { match { $p: Person } return { $p } limit «x }',
  ],
  ['ParseError', 'update without set', 'query q($n: String) { update Person «where name = $n }'],
  ['ParseError', 'delete without where', 'query q() { delete Person «}'],
  [
    'ParseError',
    'hop bounds not closed',
    'query q() { match { $a: Person\n $a knows{1,3 «$b } return { $b } }',
  ],
  ['ParseError', 'top level is not a query', '«node Person { name: String }'],
  // ── unknown names ──
  ['UnknownType', 'binding type', 'query q() { match { $p: «Persn } return { $p } }'],
  ['UnknownType', 'binding an edge type', 'query q() { match { $p: «Knows } return { $p } }'],
  [
    'UnknownType',
    'parameter type',
    'query q($x: «Strng) { match { $p: Person { name: $x } } return { $p } }',
  ],
  ['UnknownType', 'insert type', 'query q($n: String) { insert «Persn { name: $n } }'],
  [
    'UnknownProperty',
    'property match',
    'query q() { match { $p: Person { «nme: "x" } } return { $p } }',
  ],
  ['UnknownProperty', 'return', 'query q() { match { $p: Person } return { $p.«nme } }'],
  [
    'UnknownProperty',
    'insert',
    'query q() { insert Person { name: "a", status: "active", «foo: 1 } }',
  ],
  [
    'UnknownProperty',
    'update where',
    'query q() { update Person set { age: 3 } where «nme = "x" }',
  ],
  [
    'UnknownProperty',
    'update set',
    'query q() { update Person set { «agee: 3 } where name = "x" }',
  ],
  ['UnknownEdge', 'traversal', 'query q() { match { $a: Person\n $a «likes $b } return { $b } }'],
  [
    'UnknownParameter',
    'property match value',
    'query q($name: String) { match { $p: Person { name: «$nm } } return { $p } }',
  ],
  [
    'UnknownParameter',
    'insert value',
    'query q() { insert Person { name: «$n, status: "active" } }',
  ],
  [
    'UnknownParameter',
    'filter operand',
    'query q() { match { $p: Person\n $p.age > «$min } return { $p } }',
  ],
  ['UnknownFunction', 'return', 'query q() { match { $p: Person } return { «frob($p) } }'],
  [
    'UnknownAlias',
    'order by a missing alias',
    'query q() { match { $p: Person } return { $p.name } order { «foo } }',
  ],
  // ── variables ──
  [
    'EndpointMismatch',
    'source of the wrong type',
    'query q() { match { $c: Company\n «$c knows $p } return { $p } }',
  ],
  [
    'EndpointMismatch',
    'target of the wrong type',
    'query q() { match { $p: Person\n $x: Company\n $p knows «$x } return { $x } }',
  ],
  [
    'EndpointMismatch',
    'two traversals disagree',
    'query q() { match { $p worksAt $c\n «$c knows $d } return { $d } }',
  ],
  ['UnboundVariable', 'return', 'query q() { match { $p: Person } return { «$x.name } }'],
  [
    'UnboundVariable',
    'order',
    'query q() { match { $p: Person } return { $p.name } order { «$z.name } }',
  ],
  [
    'UnboundVariable',
    'variable local to not { }',
    'query q() { match { $p: Person\n not { $p knows $f } } return { «$f.name } }',
  ],
  [
    'DuplicateBinding',
    'bound twice with different types',
    'query q() { match { $p: Person\n «$p: Company } return { $p } }',
  ],
  [
    'DuplicateBinding',
    'binding a parameter name',
    'query q($p: String) { match { «$p: Person } return { $p } }',
  ],
  [
    'DuplicateBinding',
    'rebinding inside not with another type',
    'query q() { match { $p: Person\n not { «$p: Company } } return { $p } }',
  ],
  ['WildcardMisuse', 'wildcard in return', 'query q() { match { $p: Person } return { «$_ } }'],
  ['WildcardMisuse', 'binding the wildcard', 'query q() { match { «$_: Person } return { 1 } }'],
  // ── types ──
  [
    'TypeMismatch',
    'number vs string',
    'query q() { match { $p: Person\n $p.age «> "old" } return { $p } }',
  ],
  [
    'TypeMismatch',
    'property match value',
    'query q() { match { $p: Person { age: «"x" } } return { $p } }',
  ],
  [
    'TypeMismatch',
    'enum literal not a member',
    'query q() { match { $p: Person { status: «"dead" } } return { $p } }',
  ],
  [
    'TypeMismatch',
    'insert parameter type',
    'query q($n: I32) { insert Person { name: «$n, status: "active" } }',
  ],
  [
    'TypeMismatch',
    'ordering a list',
    'query q() { match { $p: Person\n $p.tags «< "x" } return { $p } }',
  ],
  [
    'TypeMismatch',
    'contains on a number',
    'query q() { match { $p: Person\n «$p.age contains 3 } return { $p } }',
  ],
  [
    'TypeMismatch',
    'sum of strings',
    'query q() { match { $p: Person } return { sum(«$p.name) as s } }',
  ],
  [
    'TypeMismatch',
    'nearest dimension',
    'query q($v: Vector(3)) { match { $d: Doc } return { $d.slug } order { nearest($d.embedding, «$v) } limit 3 }',
  ],
  [
    'TypeMismatch',
    'now() into a String',
    'query q() { insert Person { name: «now(), status: "active" } }',
  ],
  [
    'TypeMismatch',
    'optional parameter into a required property',
    'query q($n: String?) { insert Person { name: «$n, status: "active" } }',
  ],
  [
    'TypeMismatch',
    'null into a required property',
    'query q() { update Person set { status: «null } where name = "a" }',
  ],
  [
    'TypeMismatch',
    'filter that is not boolean',
    'query q() { match { $p: Person\n «$p.age } return { $p } }',
  ],
  ['TypeMismatch', 'edge endpoint key type', 'query q() { insert Knows { from: «1, to: "b" } }'],
  [
    'TypeMismatch',
    'search on a vector',
    'query q($t: String) { match { $d: Doc\n search(«$d.embedding, $t) } return { $d.slug } }',
  ],
  [
    'InvalidValue',
    'match variable as a mutation value',
    'query q() { insert Person { name: «$p.name, status: "active" } }',
  ],
  [
    'InvalidValue',
    'invalid date literal',
    'query q() { update Person set { born: date(«"2026-13-01") } where name = "a" }',
  ],
  // ── aggregates and functions ──
  [
    'AggregateMisuse',
    'aggregate in match',
    'query q() { match { $p: Person\n «count($p) > 3 } return { $p } }',
  ],
  [
    'AggregateMisuse',
    'nested aggregate',
    'query q() { match { $p: Person } return { count(«count($p)) as n } }',
  ],
  [
    'AggregateMisuse',
    'order by a non-key',
    'query q() { match { $p: Person\n $p knows $f } return { $p.name, count($f) as n } order { «$p.age } }',
  ],
  [
    'AggregateMisuse',
    'aggregate order without aggregates',
    'query q() { match { $p: Person } return { $p.name } order { «count($p) } }',
  ],
  [
    'ArgumentCount',
    'count with two arguments',
    'query q() { match { $p: Person } return { «count($p, $p) as n } }',
  ],
  [
    'FunctionMisuse',
    'search in return',
    'query q($t: String) { match { $d: Doc } return { «search($d.title, $t) } }',
  ],
  [
    'FunctionMisuse',
    'nearest in match',
    'query q($v: Vector(4)) { match { $d: Doc\n «nearest($d.embedding, $v) = 1 } return { $d } }',
  ],
  [
    'NearestWithoutLimit',
    'nearest in order',
    'query q($v: Vector(4)) { match { $d: Doc } return { $d.slug } order { «nearest($d.embedding, $v) } }',
  ],
  [
    'NearestWithoutLimit',
    'nearest inside rrf',
    'query q($v: Vector(4), $t: String) { match { $d: Doc } return { $d.slug } order { rrf(«nearest($d.embedding, $v), bm25($d.title, $t)) } }',
  ],
  [
    'InvalidHopBounds',
    'max below min',
    'query q() { match { $a: Person\n $a knows«{3,1} $b } return { $b } }',
  ],
  [
    'InvalidHopBounds',
    'variable length over a non-recursive edge',
    'query q() { match { $p: Person\n $p worksAt«{1,2} $c } return { $c } }',
  ],
  ['InvalidLimit', 'limit 0', 'query q() { match { $p: Person } return { $p } limit «0 }'],
  // ── declarations ──
  [
    'DuplicateParameter',
    'parameter twice',
    'query q($a: String, «$a: I32) { match { $p: Person { name: $a } } return { $p } }',
  ],
  [
    'DuplicateQuery',
    'query twice',
    'query q() { match { $p: Person } return { $p } }\nquery «q() { match { $p: Person } return { $p } }',
  ],
  [
    'DuplicateColumn',
    'same column twice',
    'query q() { match { $p: Person } return { $p.name, «$p.name } }',
  ],
  // ── mutations ──
  ['MissingRequiredProperty', 'node insert', 'query q() { insert «Person { name: "a" } }'],
  [
    'MissingRequiredProperty',
    'edge insert property',
    'query q() { insert «WorksAt { from: "a", to: "b" } }',
  ],
  ['EdgeInsertMissingEndpoint', 'no to', 'query q() { insert «Knows { from: "a" } }'],
  [
    'EdgeInsertMissingEndpoint',
    'neither endpoint',
    'query q() { insert «knows { since: date("2020-01-01") } }',
  ],
  [
    'DuplicateAssignment',
    'property set twice',
    'query q() { insert Person { name: "a", «name: "b", status: "active" } }',
  ],
];

describe('negative cases: error code and position', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const [code, what, src] of CASES) {
    it(`${code}: ${what}`, () => {
      const { source, line, column } = marked(src);
      let err: unknown;
      try {
        compileQueries(source, 'neg.gq', catalog);
      } catch (e) {
        err = e;
      }
      expect(err, 'expected an error').toBeInstanceOf(LancelogError);
      const e = err as LancelogError;
      expect({
        code: e.code,
        line: e.details.line,
        column: e.details.column,
        message: e.message,
      }).toMatchObject({ code, line, column });
      expect(e.details.file).toBe('neg.gq');
      expect(String(e.details.excerpt)).toContain('^');
      if (code !== 'ParseError') expect(e.details.query).toBe('q');
    });
  }
});

describe('nesting depth: a ParseError, never a stack overflow', () => {
  const deep = 10_000;
  const nests: Array<[string, (n: number) => string, string]> = [
    [
      "'not' blocks",
      (n) =>
        `query q() { match { $p: Person ${'not { '.repeat(n)}$p.age > 1${' }'.repeat(n)} } return { $p } }`,
      "a 'not' block",
    ],
    [
      'list literals',
      (n) => `query q() { match { $p: Person } return { ${'['.repeat(n)}1${']'.repeat(n)} as x } }`,
      'a list literal',
    ],
    [
      'function calls',
      (n) =>
        `query q() { match { $p: Person } return { ${'lower('.repeat(n)}$p.name${')'.repeat(n)} as x } }`,
      'a function call',
    ],
    [
      'list types',
      (n) =>
        `query q($a: ${'['.repeat(n)}String${']'.repeat(n)}) { match { $p: Person } return { $p } }`,
      'a list type',
    ],
  ];
  for (const [name, source, what] of nests) {
    it(`${deep.toLocaleString('en')} nested ${name} → ParseError naming the limit`, () => {
      let caught: unknown;
      try {
        compileQueries(source(deep), 'deep.gq', catalog);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LancelogError);
      expect((caught as LancelogError).code).toBe('ParseError');
      expect((caught as LancelogError).message).toContain(`${what} nested more than 64 levels`);
      expect((caught as LancelogError).details).toMatchObject({ file: 'deep.gq', line: 1 });
    });
  }

  it('64 levels still parse (the limit is not reached by real queries)', () => {
    let caught: unknown;
    try {
      compileQueries(nests[0][1](64), 'ok.gq', catalog);
    } catch (err) {
      caught = err;
    }
    // Past the parser: the checker has its say (64 negations of one filter are valid).
    expect((caught as LancelogError | undefined)?.code).not.toBe('ParseError');
  });
});
