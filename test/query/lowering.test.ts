import { describe, expect, it } from 'vitest';
import { compileQuery, explain } from '../../src/query/index.js';
import { catalog } from './helpers.js';

const plan = (body: string): string =>
  explain(compileQuery(`query q() {\n${body}\n}`, 'q.gq', catalog, 'q'));

describe('read lowering (issue 13 §3, §4)', () => {
  it('a traversal whose edge and destination are on the next lines is a traversal', () => {
    const text = plan(`match {
      $p: Person
      $p
        knows
        $f
    } return { $f.name }`);
    expect(text).toContain('expand $p -[Knows]-> $f: Person');
  });

  it('a traversal with hop bounds on the next line is a traversal', () => {
    expect(plan(`match { $p: Person\n $p\n knows{1,2} $f } return { $f.name }`)).toContain(
      'expand $p -[Knows]-> $f: Person [edge:Knows] hops 1..2',
    );
  });

  it('a bare variable followed by not { } on the next line stays two clauses', () => {
    const text = plan(`match { $p: Person\n $q: Person\n $p knows $q\n not { $q worksAt $_ } }
      return { $p.name }`);
    expect(text).toContain('anti_join');
  });

  it('binding a variable twice with the same type merges its property matches', () => {
    const text = plan(`match {
      $p: Person { name: "a" }
      $p: Person { status: "active" }
    } return { $p.name }`);
    expect(text).toContain(
      'scan $p: Person [node:Person] where $p.name = "a" and $p.status = "active"',
    );
  });

  it('rebinding an outer variable inside not { } constrains it', () => {
    const text = plan(`match { $p: Person\n not { $p: Person { status: "retired" } } }
      return { $p.name }`);
    expect(text).toMatch(/anti_join on \$p\n\s+filter \$p.status = "retired"/);
  });

  it('a traversal written against the edge direction follows it backwards', () => {
    const text = plan(`match { $c: Company { name: "Acme" }\n $c worksAt $p } return { $p.name }`);
    expect(text).toContain('scan $c: Company');
    expect(text).toContain('expand $c <-[WorksAt]- $p: Person');
  });

  it('a variable reached by a traversal is expanded and filtered, never scanned and joined', () => {
    const text = plan(`match {
      $p: Person { name: "a" }
      $p worksAt $c
      $c: Company { name: "Acme" }
    } return { $p.name }`);
    expect(text.match(/scan/g)).toHaveLength(1);
    expect(text).toMatch(
      /expand \$p -\[WorksAt\]-> \$c: Company \[edge:WorksAt\]\n\s+filter \$c.name = "Acme"/,
    );
  });

  it('the start is the binding with property matches, even when written last', () => {
    const text = plan(`match {
      $p: Person
      $p worksAt $c
      $c: Company { name: "Acme" }
    } return { $p.name }`);
    expect(text).toMatch(/scan \$c: Company .*\n\s+expand \$c <-\[WorksAt\]- \$p: Person/);
  });

  it('a list property matched with a scalar is membership', () => {
    expect(plan(`match { $p: Person { tags: "x" } } return { $p.name }`)).toContain(
      'where $p.tags contains "x"',
    );
  });
});
