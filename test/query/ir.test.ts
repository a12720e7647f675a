import { describe, expect, it } from 'vitest';
import { compileQuery, explain, planToJSON } from '../../src/query/index.js';
import type { MutationPlan, ReadPlan } from '../../src/query/index.js';
import { catalog } from './helpers.js';

const SRC = `
query friends($name: String) @description("friends of a person") {
    match {
        $p: Person { name: $name }
        $p knows{1,3} $f
        $f.age >= 18
    }
    return { $f.name, $f.age as age }
    order { age desc, $f.name }
    limit 10
}

query loners($since: Date) {
    match {
        $p: Person
        not {
            $p knows $q
            $q.born >= $since
        }
        not { $p worksAt $_ }
    }
    return { $p.name }
}

query employers() {
    match {
        $c: Company { founded: 1999 }
        $p worksAt $c
        $p.status = "active"
    }
    return { $c.name, count($p) as staff, avg($p.age) }
    order { staff desc }
}

query ranked($v: Vector(4), $t: String) {
    match { $d: Doc }
    return { $d.slug, bm25($d.title, $t) as score }
    order { rrf(nearest($d.embedding, $v), bm25($d.title, $t), 30) }
    limit 5
}

query hire($person: String, $company: String, $role: String, $age: I32?) {
    insert Person { name: $person, status: "active", age: $age, born: date("1990-05-01") }
    insert worksAt { from: $person, to: $company, role: $role }
    update Person set { email: null, score: 1 } where name = $person and age > 17
    delete Company where founded < 1900
}
`;

describe('lowering to IR', () => {
  it('expand with hop bounds, pushed-down equality, filter, alias ordering', () => {
    const plan = compileQuery(SRC, 'ir.gq', catalog, 'friends');
    expect(explain(plan)).toBe(
      [
        'query friends($name: String) read',
        '  scan $p: Person [node:Person] where $p.name = $name',
        '  expand $p -[Knows]-> $f: Person [edge:Knows] hops 1..3',
        '  filter $f.age >= 18',
        '  order $f.age desc, $f.name asc',
        '  limit 10',
        '  project f.name, age = $f.age',
        '  columns f.name: String, age: I32',
      ].join('\n'),
    );
    expect((plan as ReadPlan).meta.description).toBe('friends of a person');
  });

  it('anti-joins correlate on outer variables; the wildcard becomes a fresh variable', () => {
    expect(explain(compileQuery(SRC, 'ir.gq', catalog, 'loners'))).toBe(
      [
        'query loners($since: Date) read',
        '  scan $p: Person [node:Person]',
        '  anti_join on $p',
        '    expand $p -[Knows]-> $q: Person [edge:Knows]',
        '    filter $q.born >= $since',
        '  anti_join on $p',
        '    expand $p -[WorksAt]-> $_1: Company [edge:WorksAt]',
        '  project p.name',
        '  columns p.name: String',
      ].join('\n'),
    );
  });

  it('reverse expansion and aggregation', () => {
    expect(explain(compileQuery(SRC, 'ir.gq', catalog, 'employers'))).toBe(
      [
        'query employers() read',
        '  scan $c: Company [node:Company] where $c.founded = 1999',
        '  expand $c <-[WorksAt]- $p: Person [edge:WorksAt]',
        '  filter $p.status = "active"',
        '  aggregate keys [c.name = $c.name] aggregates [staff = count($p), avg(p.age) = avg($p.age)]',
        '  order #staff desc',
        '  project c.name, staff, avg(p.age)',
        '  columns c.name: String, staff: I64, avg(p.age): F64',
      ].join('\n'),
    );
  });

  it('ranking functions', () => {
    expect(explain(compileQuery(SRC, 'ir.gq', catalog, 'ranked'))).toBe(
      [
        'query ranked($v: Vector(4), $t: String) read',
        '  scan $d: Doc [node:Doc]',
        '  order rrf(nearest($d.embedding, $v), bm25($d.title, $t), 30) asc',
        '  limit 5',
        '  project d.slug, score = bm25($d.title, $t)',
        '  columns d.slug: String, score: rank',
      ].join('\n'),
    );
  });

  it('mutation ops: literals coerced to column types, edge names case-insensitive, cascade', () => {
    const plan = compileQuery(SRC, 'ir.gq', catalog, 'hire') as MutationPlan;
    expect(explain(plan)).toBe(
      [
        'query hire($person: String, $company: String, $role: String, $age: I32?) mutation',
        '  1. insert_node Person [node:Person] { name = $person, status = "active", age = $age, born = "1990-05-01" }',
        '  2. insert_edge WorksAt [edge:WorksAt] from Person $person to Company $company { role = $role }',
        '  3. update node Person [node:Person] set { email = null, score = 1 } where name = $person and age > 17',
        '  4. delete node Company [node:Company] where founded < 1900 cascade WorksAt(dst)',
      ].join('\n'),
    );
    const del = plan.ops[3];
    expect(del.op === 'delete' && del.where[0]).toEqual({
      column: 'founded',
      op: '<',
      type: { kind: 'scalar', name: 'I64' },
      value: { kind: 'literal', value: 1900n },
    });
    expect(plan.params).toEqual([
      { name: 'person', type: { kind: 'scalar', name: 'String' }, optional: false },
      { name: 'company', type: { kind: 'scalar', name: 'String' }, optional: false },
      { name: 'role', type: { kind: 'scalar', name: 'String' }, optional: false },
      { name: 'age', type: { kind: 'scalar', name: 'I32' }, optional: true },
    ]);
    expect(plan.ops[2]).toMatchObject({
      op: 'update',
      set: [
        { property: 'email', nullable: true, value: { kind: 'literal', value: null } },
        { property: 'score', value: { kind: 'literal', value: 1 } },
      ],
    });
    // planToJSON: plain JSON (bigint → string), stable across runs.
    const json = planToJSON(plan) as { ops: Array<{ where?: Array<{ value: unknown }> }> };
    expect(json.ops[3].where?.[0].value).toEqual({ kind: 'literal', value: '1900' });
    expect(JSON.stringify(planToJSON(compileQuery(SRC, 'ir.gq', catalog, 'hire')))).toBe(
      JSON.stringify(json),
    );
  });

  it('is deterministic', () => {
    const a = ['friends', 'loners', 'employers', 'ranked', 'hire']
      .map((n) => explain(compileQuery(SRC, 'ir.gq', catalog, n)))
      .join('\n');
    const b = ['friends', 'loners', 'employers', 'ranked', 'hire']
      .map((n) => explain(compileQuery(SRC, 'ir.gq', catalog, n)))
      .join('\n');
    expect(a).toBe(b);
  });

  it('QueryNotFound names the known queries', () => {
    expect(() => compileQuery(SRC, 'ir.gq', catalog, 'nope')).toThrow(
      /no query named 'nope'.*friends, loners/,
    );
  });
});
