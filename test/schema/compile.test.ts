import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from 'apache-arrow';
import {
  arrowSchemaFor,
  catalogToJSON,
  compileSchema,
  fnv1a64Hex,
} from '../../src/schema/index.js';
import { LancelogError } from '../../src/errors.js';
import { FIXTURES_DIR, fixtureFiles } from '../helpers/fixtures.js';

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
  });
});

describe('every fixture schema compiles', () => {
  const files = fixtureFiles('.pg');
  it('finds the fixture schemas', () => expect(files.length).toBeGreaterThanOrEqual(6));
  for (const file of files) {
    it(relative(FIXTURES_DIR, file), () => {
      const catalog = compileSchema(readFileSync(file, 'utf8'), file);
      expect(catalog.nodes.length).toBeGreaterThan(0);
      for (const def of [...catalog.nodes, ...catalog.edges]) {
        const schema = arrowSchemaFor(def);
        expect(schema.fields[0].name).toBe('id');
        expect(schema.fields.length).toBe(def.properties.length + (def.kind === 'edge' ? 3 : 1));
      }
      // Deterministic: compiling twice gives byte-identical JSON.
      expect(catalogToJSON(compileSchema(readFileSync(file, 'utf8'), file))).toBe(
        catalogToJSON(catalog),
      );
    });
  }
});

const FULL = `
/* Block comment
   spanning lines */
interface Named { name: String @key }
interface Timestamped {
  createdAt: DateTime  // line comment
  updatedAt: DateTime?
}
node Person implements Named, Timestamped @description("a person") {
  age: I32? @range(0..150)
  email: String? @unique @check("^[^@]+@[^@]+$")
  nick: String?
  score: F64?
  big: I64?
  ubig: U64?
  small: U32?
  ratio: F32?
  born: Date?
  photo: Blob?
  active: Bool
  tags: [String]?
  moods: [enum(sad, happy)]?
  level: enum(senior, junior, mid-level, junior)
  embedding: Vector(3) @embed("nick") @index
  @range(score, ..1.5)
  @check(nick, "^[a-z]+$")
  @unique(nick, age)
  @index(born)
  @custom(anything, 1, "x")
}
node Company { name: String @key }
edge WorksAt: Person -> Company @card(1..1) @description("employment") {
  since: Date?
  @unique(src)
}
edge Knows: Person -> Person @card(0..*)
edge Mentors: Person -> Person @card(2..) { weight: F32 @index }
`;

describe('the whole language', () => {
  const c = compileSchema(FULL, 'full.pg');
  const person = c.nodes.find((n) => n.name === 'Person')!;

  it('copies interface properties first, then own ones', () => {
    expect(person.implements).toEqual(['Named', 'Timestamped']);
    expect(person.properties.slice(0, 3).map((p) => [p.name, p.fromInterface])).toEqual([
      ['name', 'Named'],
      ['createdAt', 'Timestamped'],
      ['updatedAt', 'Timestamped'],
    ]);
    expect(person.constraints.key).toEqual(['name']);
  });

  it('keeps every type, nullability, enum (sorted, deduplicated) and list', () => {
    const byName = Object.fromEntries(person.properties.map((p) => [p.name, p]));
    expect(byName.level.type).toEqual({ kind: 'enum', values: ['junior', 'mid-level', 'senior'] });
    expect(byName.level.nullable).toBe(false);
    expect(byName.tags).toMatchObject({
      type: { kind: 'list', element: { kind: 'scalar', name: 'String' } },
      nullable: true,
    });
    expect(byName.moods.type).toEqual({
      kind: 'list',
      element: { kind: 'enum', values: ['happy', 'sad'] },
    });
    expect(byName.embedding.type).toEqual({ kind: 'vector', dim: 3 });
    expect(byName.updatedAt.nullable).toBe(true);
  });

  it('accepts constraints in both forms', () => {
    expect(person.constraints.range).toEqual([
      { property: 'age', min: 0, max: 150 },
      { property: 'score', min: null, max: 1.5 },
    ]);
    expect(person.constraints.check.map((x) => x.property)).toEqual(['email', 'nick']);
    expect(person.constraints.unique).toEqual([['email'], ['nick', 'age']]);
    expect(person.constraints.index).toEqual([['name'], ['embedding'], ['born']]);
  });

  it('keeps custom annotations as metadata', () => {
    expect(person.annotations).toEqual([
      { name: 'description', args: ['a person'] },
      { name: 'custom', args: ['anything', 1, 'x'] },
    ]);
    expect(person.embed).toEqual([{ property: 'embedding', source: 'nick' }]);
    expect(person.properties.find((p) => p.name === 'embedding')!.annotations).toEqual([
      { name: 'embed', args: ['nick'] },
    ]);
  });

  it('compiles edges with cardinality, implicit src/dst constraints and optional bodies', () => {
    const [worksAt, knows, mentors] = c.edges;
    expect(worksAt).toMatchObject({
      from: 'Person',
      to: 'Company',
      card: { min: 1, max: 1 },
      tableKey: 'edge:WorksAt',
    });
    expect(worksAt.constraints.unique).toEqual([['src']]);
    expect(worksAt.annotations).toEqual([{ name: 'description', args: ['employment'] }]);
    expect(knows.card).toEqual({ min: 0, max: null });
    expect(mentors.card).toEqual({ min: 2, max: null });
    expect(mentors.constraints.index).toEqual([['weight']]);
  });

  it('names tables by fnv1a64 of the type name and gives each type a stable id', () => {
    expect(person.tablePath).toBe(`nodes/${fnv1a64Hex('Person')}`);
    expect(person.typeId).toBe(fnv1a64Hex('node:Person'));
    expect(c.edges[0].tablePath).toBe(`edges/${fnv1a64Hex('WorksAt')}`);
  });

  it('maps every type to its Arrow column', () => {
    const schema = arrowSchemaFor(person);
    const t = (name: string) => schema.fields.find((f) => f.name === name)!;
    expect(DataType.isUtf8(t('id').type) && !t('id').nullable).toBe(true);
    expect(DataType.isInt(t('age').type) && t('age').nullable).toBe(true);
    expect(DataType.isTimestamp(t('createdAt').type)).toBe(true);
    expect(DataType.isDate(t('born').type)).toBe(true);
    expect(DataType.isLargeBinary(t('photo').type)).toBe(true);
    expect(DataType.isFixedSizeList(t('embedding').type)).toBe(true);
    expect(DataType.isList(t('tags').type)).toBe(true);
    expect(DataType.isUtf8(t('level').type) && !t('level').nullable).toBe(true);
    const edge = arrowSchemaFor(c.edges[0]);
    expect(edge.fields.map((f) => f.name)).toEqual(['id', 'src', 'dst', 'since']);
  });
});

/** [description, source, expected code, line, column]. */
const NEGATIVE: Array<[string, string, string, number, number]> = [
  // Syntax errors
  ['unknown top-level keyword', 'nod Person { name: String }', 'ParseError', 1, 1],
  ['missing colon after property', 'node P {\n  name String\n}', 'ParseError', 2, 8],
  ['unclosed body', 'node P {\n  name: String\n', 'ParseError', 3, 1],
  ['unterminated string', 'node P {\n  name: String @check("abc\n}', 'ParseError', 2, 23],
  ['unterminated block comment', 'node P { name: String }\n/* never closed', 'ParseError', 2, 1],
  ['unexpected character', 'node P {\n  name: String #\n}', 'ParseError', 2, 16],
  ['lower-case type name', 'node person { name: String }', 'ParseError', 1, 6],
  ['upper-case property name', 'node P {\n  Name: String\n}', 'ParseError', 2, 3],
  ['edge without arrow', 'node A { x: I32 }\nedge E: A B', 'ParseError', 2, 11],
  ['edge without colon', 'node A { x: I32 }\nedge E A -> A', 'ParseError', 2, 8],
  ['vector without dimension', 'node P { v: Vector() }', 'ParseError', 1, 20],
  ['empty enum', 'node P { s: enum() }', 'ParseError', 1, 18],
  ['nullable list element', 'node P { t: [String?] }', 'ParseError', 1, 20],
  [
    'constraint inside an interface',
    'interface I {\n  a: String\n  @unique(a)\n}',
    'ParseError',
    3,
    3,
  ],
  ['space between @ and name', 'node P { a: String @ key }', 'ParseError', 1, 22],
  // Semantic errors
  [
    'unknown endpoint type',
    'node A { x: I32 }\nedge E: A -> Missing',
    'UnknownEndpointType',
    2,
    14,
  ],
  [
    'edge to an interface',
    'interface I { x: I32 }\nnode A { x: I32 }\nedge E: I -> A',
    'UnknownEndpointType',
    3,
    9,
  ],
  ['duplicate node type', 'node A { x: I32 }\nnode A { y: I32 }', 'DuplicateType', 2, 1],
  [
    'edge and node share a name (case-insensitive)',
    'node Knows { x: I32 }\nedge KNOWS: Knows -> Knows',
    'DuplicateType',
    2,
    1,
  ],
  ['duplicate property', 'node A {\n  x: I32\n  x: String\n}', 'DuplicateProperty', 3, 3],
  ['reserved id property', 'node A {\n  id: String\n}', 'ReservedPropertyName', 2, 3],
  [
    'reserved src property on an edge',
    'node A { x: I32 }\nedge E: A -> A {\n  src: String\n}',
    'ReservedPropertyName',
    3,
    3,
  ],
  ['unknown scalar type', 'node A {\n  x: Int\n}', 'UnknownPropertyType', 2, 6],
  [
    'constraint on a missing property (body line)',
    'node A {\n  x: I32\n  @unique(y)\n}',
    'UnknownConstraintProperty',
    3,
    11,
  ],
  [
    'key on a missing property',
    'node A {\n  x: I32\n  @key(name)\n}',
    'UnknownConstraintProperty',
    3,
    8,
  ],
  [
    'index on a missing edge property',
    'node A { x: I32 }\nedge E: A -> A {\n  @index(weight)\n}',
    'UnknownConstraintProperty',
    3,
    10,
  ],
  ['@range on a String', 'node A {\n  name: String @range(0..10)\n}', 'RangeOnNonNumeric', 2, 16],
  [
    '@range body line on a Date',
    'node A {\n  d: Date\n  @range(d, 0..1)\n}',
    'RangeOnNonNumeric',
    3,
    10,
  ],
  ['@range with min > max', 'node A {\n  n: I32 @range(10..1)\n}', 'InvalidRange', 2, 17],
  ['invalid @check regex', 'node A {\n  s: String @check("([a-z")\n}', 'InvalidCheckRegex', 2, 20],
  ['@check on a number', 'node A {\n  n: I32 @check("^1$")\n}', 'CheckOnNonString', 2, 17],
  ['Vector(0)', 'node A {\n  v: Vector(0)\n}', 'InvalidVectorDimension', 2, 6],
  ['negative vector dimension', 'node A {\n  v: Vector(-4)\n}', 'InvalidVectorDimension', 2, 6],
  ['unknown interface', 'node A implements Missing {\n  x: I32\n}', 'UnknownInterface', 1, 19],
  [
    'interface listed twice',
    'interface I { x: I32 }\nnode A implements I, I { y: I32 }',
    'DuplicateInterface',
    2,
    22,
  ],
  [
    'conflicting property types from two interfaces',
    'interface I { x: I32 }\ninterface J { x: String }\nnode A implements I, J { y: I32 }',
    'ConflictingInterfaceProperty',
    3,
    22,
  ],
  [
    'own property conflicting with an interface',
    'interface I { x: I32 }\nnode A implements I {\n  x: String\n}',
    'ConflictingInterfaceProperty',
    3,
    3,
  ],
  [
    '@key on a nullable property',
    'node A {\n  name: String? @key\n}',
    'KeyOnNullableProperty',
    2,
    17,
  ],
  ['@key on a list property', 'node A {\n  tags: [String] @key\n}', 'KeyOnListProperty', 2, 18],
  [
    '@key body line on a nullable property',
    'node A {\n  name: String?\n  @key(name)\n}',
    'KeyOnNullableProperty',
    3,
    8,
  ],
  ['@key on a Vector', 'node A {\n  v: Vector(2) @key\n}', 'InvalidKeyType', 2, 16],
  ['two keys', 'node A {\n  a: String @key\n  b: String @key\n}', 'MultipleKeys', 1, 1],
  [
    '@key on an edge',
    'node A { x: I32 }\nedge E: A -> A {\n  w: String @key\n}',
    'KeyOnEdge',
    3,
    13,
  ],
  [
    '@card with min > max',
    'node A { x: I32 }\nedge E: A -> A @card(3..1)',
    'InvalidCardinality',
    2,
    22,
  ],
  [
    '@card without a range',
    'node A { x: I32 }\nedge E: A -> A @card(3)',
    'InvalidCardinality',
    2,
    16,
  ],
  [
    '@card given twice',
    'node A { x: I32 }\nedge E: A -> A @card(0..1) @card(1..1)',
    'DuplicateConstraint',
    2,
    28,
  ],
  ['@card on a node property', 'node A {\n  x: I32 @card(0..1)\n}', 'MisplacedConstraint', 2, 10],
  ['@embed on a non-vector', 'node A {\n  t: String\n  x: I32 @embed(t)\n}', 'InvalidEmbed', 3, 10],
  [
    '@embed of an unknown source',
    'node A {\n  x: Vector(2) @embed("nope")\n}',
    'InvalidEmbed',
    2,
    16,
  ],
  [
    '@embed of a non-String source',
    'node A {\n  n: I32\n  x: Vector(2) @embed(n)\n}',
    'InvalidEmbed',
    3,
    16,
  ],
  ['@embed without a source', 'node A {\n  x: Vector(2) @embed\n}', 'InvalidEmbed', 2, 16],
  [
    '@embed given twice',
    'node A {\n  t: String\n  x: Vector(2) @embed(t) @embed(t)\n}',
    'InvalidEmbed',
    3,
    26,
  ],
  ['list of vectors', 'node A {\n  x: [Vector(2)]\n}', 'InvalidListElement', 2, 7],
  [
    '@range on an edge',
    'node A { x: I32 }\nedge E: A -> A {\n  w: F32 @range(0..1)\n}',
    'ConstraintNotAllowed',
    3,
    10,
  ],
];

describe('negative schemas', () => {
  it(`has at least 25 cases (${NEGATIVE.length})`, () =>
    expect(NEGATIVE.length).toBeGreaterThanOrEqual(25));
  for (const [name, source, code, line, column] of NEGATIVE) {
    it(`${name} → ${code} at ${line}:${column}`, () => {
      let caught: unknown;
      try {
        compileSchema(source, 'bad.pg');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LancelogError);
      const err = caught as LancelogError;
      expect({ code: err.code, line: err.details.line, column: err.details.column }).toEqual({
        code,
        line,
        column,
      });
      expect(err.details.file).toBe('bad.pg');
      expect(err.message).toContain(`bad.pg:${line}:${column}`);
      if (code !== 'ParseError') expect(typeof err.details.declaration).toBe('string');
      // Every error carries an excerpt with a caret under the column.
      const excerpt = String(err.details.excerpt);
      const [srcLine, caretLine] = excerpt.split('\n');
      expect(srcLine.startsWith(`${line} | `)).toBe(true);
      expect(caretLine.indexOf('^')).toBe(`${line} | `.length + column - 1);
    });
  }
});

describe('names no property may take', () => {
  // JavaScript's object machinery (a row is an object: `__proto__` was accepted and its
  // values silently dropped), Lance's own columns (`_rowid` failed at init with
  // StorageFailure) and the columns Lance's searches add to their results.
  const RESERVED = [
    '__proto__',
    'constructor',
    'prototype',
    '_rowid',
    '_rowaddr',
    '_rowoffset',
    '_row_created_at_version',
    '_row_last_updated_at_version',
    '_distance',
    '_score',
    '_relevance_score',
  ];
  const owners: Array<[string, (name: string) => string, number]> = [
    ['node', (n) => `node A {\n  ${n}: String\n}`, 2],
    ['edge', (n) => `node A { x: I32 }\nedge E: A -> A {\n  ${n}: String\n}`, 3],
    ['interface', (n) => `interface I {\n  ${n}: String\n}\nnode A implements I { x: I32 }`, 2],
  ];
  for (const name of RESERVED)
    for (const [owner, source, line] of owners)
      it(`${name} on ${owner === 'node' ? 'a' : 'an'} ${owner} → ReservedPropertyName at schema compile`, () => {
        let caught: unknown;
        try {
          compileSchema(source(name), 'bad.pg');
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(LancelogError);
        expect((caught as LancelogError).code).toBe('ReservedPropertyName');
        expect((caught as LancelogError).details).toMatchObject({ file: 'bad.pg', line });
        expect((caught as LancelogError).message).toContain(name);
      });

  it('names that only look alike are properties', () => {
    const catalog = compileSchema(
      'node A {\n  rowid: String\n  _row: String\n  proto: String\n  constructors: String\n}',
      'ok.pg',
    );
    expect(catalog.nodes[0].properties.map((p) => p.name)).toEqual([
      'rowid',
      '_row',
      'proto',
      'constructors',
    ]);
  });
});

describe('nesting depth', () => {
  it('10,000 nested list types → ParseError naming the limit, never a stack overflow', () => {
    let caught: unknown;
    try {
      compileSchema(
        `node A {\n  x: ${'['.repeat(10_000)}String${']'.repeat(10_000)}\n}`,
        'deep.pg',
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LancelogError);
    expect((caught as LancelogError).code).toBe('ParseError');
    expect((caught as LancelogError).message).toContain('a list type nested more than 64 levels');
  });
});
