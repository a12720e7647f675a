import { describe, expect, it } from 'vitest';
import { compileSchema, planSchemaChange, type PlanStep } from '../../src/schema/index.js';

const BASE = `
node Person {
  name: String @key
  age: I32? @range(0..150)
  score: F32?
  nick: String?
  email: String? @check("^[^@]+@[^@]+$")
  level: enum(junior, senior)
  tags: [String]?
  @index(nick)
}
node Company { name: String @key }
edge WorksAt: Person -> Company @card(0..1) { since: Date? }
`;

/** Given the base schema, when it becomes `next`, then these (kind, safety, property) steps. */
function stepsTo(next: string): Array<[string, string, string | undefined]> {
  const plan = planSchemaChange(compileSchema(BASE, 'old.pg'), compileSchema(next, 'new.pg'));
  return plan.steps.map((s: PlanStep) => [s.kind, s.safety, s.property]);
}

/** The base schema with one line of Person replaced. */
function withPersonLine(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`base has no ${from}`);
  return BASE.replace(from, to);
}

describe('planSchemaChange', () => {
  it('the same schema (comments and layout aside) is unchanged', () => {
    const plan = planSchemaChange(
      compileSchema(BASE, 'a.pg'),
      compileSchema(`// same\n${BASE.replace(/\n/g, '\n ')}`, 'b.pg'),
    );
    expect(plan).toEqual({
      steps: [],
      unchanged: true,
      unsupported: false,
      needsValidation: false,
    });
  });

  it('a new node type and a new edge type are safe (new tables)', () => {
    expect(
      stepsTo(`${BASE}\nnode City { name: String @key }\nedge LivesIn: Person -> City`),
    ).toEqual([
      ['AddType', 'safe', undefined],
      ['AddType', 'safe', undefined],
    ]);
  });

  it('a removed type is safe (history keeps it)', () => {
    const plan = planSchemaChange(
      compileSchema(BASE, 'a.pg'),
      compileSchema(BASE.replace(/edge WorksAt.*\n/, ''), 'b.pg'),
    );
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'DropType', safety: 'safe', tableKey: 'edge:WorksAt' }),
    ]);
  });

  it('a nullable property is safe, a required one with @default safe, without it needs validation', () => {
    expect(stepsTo(withPersonLine('  nick: String?', '  nick: String?\n  bio: String?'))).toEqual([
      ['AddProperty', 'safe', 'bio'],
    ]);
    expect(
      stepsTo(withPersonLine('  nick: String?', '  nick: String?\n  rank: I32 @default(0)')),
    ).toEqual([['AddProperty', 'safe', 'rank']]);
    expect(stepsTo(withPersonLine('  nick: String?', '  nick: String?\n  rank: I32'))).toEqual([
      ['AddProperty', 'needs-validation', 'rank'],
    ]);
  });

  it('a dropped property is safe', () => {
    expect(stepsTo(withPersonLine('  tags: [String]?\n', ''))).toEqual([
      ['DropProperty', 'safe', 'tags'],
    ]);
  });

  it('I32→I64 and F32→F64 widen; any other type change is unsupported', () => {
    expect(stepsTo(withPersonLine('age: I32?', 'age: I64?'))).toEqual([
      ['WidenProperty', 'safe', 'age'],
    ]);
    expect(stepsTo(withPersonLine('score: F32?', 'score: F64?'))).toEqual([
      ['WidenProperty', 'safe', 'score'],
    ]);
    const plan = planSchemaChange(
      compileSchema(BASE, 'a.pg'),
      compileSchema(withPersonLine('  nick: String?', '  nick: I64?'), 'b.pg'),
    );
    expect(plan.steps.map((s) => [s.kind, s.safety])).toEqual([
      ['ChangePropertyType', 'unsupported'],
    ]);
    expect(plan.unsupported).toBe(true);
    expect(
      stepsTo(withPersonLine('score: F32?', 'score: F64?').replace('age: I32?', 'age: F64?'))[0],
    ).toEqual(['ChangePropertyType', 'unsupported', 'age']);
  });

  it('nullable → required needs validation; required → nullable is safe', () => {
    expect(stepsTo(withPersonLine('  nick: String?', '  nick: String'))).toEqual([
      ['MakeRequired', 'needs-validation', 'nick'],
    ]);
    expect(
      stepsTo(withPersonLine('level: enum(junior, senior)', 'level: enum(junior, senior)?')),
    ).toEqual([['MakeNullable', 'safe', 'level']]);
  });

  it('enum values added are safe, removed need validation', () => {
    expect(stepsTo(withPersonLine('enum(junior, senior)', 'enum(junior, mid, senior)'))).toEqual([
      ['AddEnumValues', 'safe', 'level'],
    ]);
    expect(stepsTo(withPersonLine('enum(junior, senior)', 'enum(junior)'))).toEqual([
      ['RemoveEnumValues', 'needs-validation', 'level'],
    ]);
  });

  it('@index add/remove is safe; @unique added needs validation, removed safe', () => {
    expect(stepsTo(withPersonLine('  @index(nick)', '  @index(nick)\n  @index(age)'))).toEqual([
      ['AddIndex', 'safe', 'age'],
    ]);
    expect(stepsTo(withPersonLine('  @index(nick)\n', ''))).toEqual([
      ['DropIndex', 'safe', 'nick'],
    ]);
    expect(
      stepsTo(withPersonLine('  @index(nick)', '  @index(nick)\n  @unique(nick, age)')),
    ).toEqual([['AddUnique', 'needs-validation', 'nick,age']]);
  });

  it('@range: new or narrower needs validation, wider or removed is safe', () => {
    expect(stepsTo(withPersonLine('@range(0..150)', '@range(0..120)'))).toEqual([
      ['AddRange', 'needs-validation', 'age'],
    ]);
    expect(stepsTo(withPersonLine('@range(0..150)', '@range(0..)'))).toEqual([
      ['AddRange', 'safe', 'age'],
    ]);
    expect(stepsTo(withPersonLine(' @range(0..150)', ''))).toEqual([['DropRange', 'safe', 'age']]);
    expect(stepsTo(withPersonLine('score: F32?', 'score: F32? @range(0..1)'))).toEqual([
      ['AddRange', 'needs-validation', 'score'],
    ]);
  });

  it('@check added or changed needs validation, removed is safe', () => {
    expect(
      stepsTo(withPersonLine('  nick: String?', '  nick: String? @check("^[a-z]+$")')),
    ).toEqual([['AddCheck', 'needs-validation', 'nick']]);
    expect(stepsTo(withPersonLine(' @check("^[^@]+@[^@]+$")', ''))).toEqual([
      ['DropCheck', 'safe', 'email'],
    ]);
  });

  it('@card narrower needs validation, wider is safe; endpoints and keys are unsupported', () => {
    expect(stepsTo(BASE.replace('@card(0..1)', '@card(1..1)'))).toEqual([
      ['ChangeCardinality', 'needs-validation', undefined],
    ]);
    expect(stepsTo(BASE.replace('@card(0..1)', '@card(0..)'))).toEqual([
      ['ChangeCardinality', 'safe', undefined],
    ]);
    expect(stepsTo(BASE.replace('Person -> Company', 'Company -> Person'))).toEqual([
      ['ChangeEndpoints', 'unsupported', undefined],
    ]);
    expect(
      stepsTo(
        BASE.replace('name: String @key\n  age', 'name: String\n  age').replace(
          '  nick: String?',
          '  nick: String @key',
        ),
      ),
    ).toContainEqual(['ChangeKey', 'unsupported', undefined]);
  });

  it('annotations only are metadata (safe)', () => {
    expect(stepsTo(BASE.replace('node Company', 'node Company @description("firm")'))).toEqual([
      ['ChangeMetadata', 'safe', undefined],
    ]);
  });

  it('every step names its table and type', () => {
    const plan = planSchemaChange(
      compileSchema(BASE, 'a.pg'),
      compileSchema(withPersonLine('age: I32?', 'age: I64?'), 'b.pg'),
    );
    expect(plan.steps[0]).toMatchObject({
      tableKey: 'node:Person',
      type: 'Person',
      property: 'age',
    });
    expect(plan.steps[0].detail).toContain('I32');
  });
});
