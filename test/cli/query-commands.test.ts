import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const OMNI = 'test/fixtures/omnigraph';
const tmp = mkdtempSync(join(tmpdir(), 'lancelog-query-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lancelog query lint / check / explain', () => {
  it('lint: a clean file exits 0 and lists every query', async () => {
    const r = await runCli([
      'query',
      'lint',
      '--query',
      `${OMNI}/test.gq`,
      '--schema',
      `${OMNI}/test.pg`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.queries).toHaveLength(11);
    expect(out.queries.every((q: { status: string }) => q.status === 'ok')).toBe(true);
  });

  it('lint: warnings alone do not fail; an error exits 1 with code and position', async () => {
    const file = join(tmp, 'mixed.gq');
    writeFileSync(
      file,
      'query ok() { delete Person where name = "x" }\nquery bad() {\n  match { $p: Persn }\n  return { $p }\n}\n',
    );
    const r = await runCli([
      'query',
      'lint',
      '--query',
      file,
      '--schema',
      `${OMNI}/test.pg`,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const [ok, bad] = r.json().queries;
    expect(ok).toMatchObject({
      name: 'ok',
      kind: 'mutation',
      status: 'ok',
      warnings: [{ code: 'MutationWithoutParameters' }],
    });
    expect(bad).toMatchObject({
      name: 'bad',
      kind: 'read',
      status: 'error',
      errors: [{ code: 'UnknownType', line: 3, column: 15 }],
    });
    const human = await runCli(['query', 'lint', '--query', file, '--schema', `${OMNI}/test.pg`]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('error [UnknownType]');
    expect(human.stdout).toContain('warning [MutationWithoutParameters]');
  });

  it('lint: a syntax error is reported as ParseError', async () => {
    const file = join(tmp, 'syntax.gq');
    writeFileSync(file, 'query q( {');
    const r = await runCli([
      'query',
      'lint',
      '--query',
      file,
      '--schema',
      `${OMNI}/test.pg`,
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ code: 'ParseError', details: { line: 1, column: 10 } });
  });

  it('check and explain against a repo', async () => {
    const repo = join(tmp, 'repo');
    expect((await runCli(['init', '--schema', `${OMNI}/test.pg`, repo, '--json'])).code).toBe(0);
    const c = await runCli(['query', 'check', '--query', `${OMNI}/test.gq`, repo, '--json']);
    expect(c.code).toBe(0);
    expect(c.json().queries).toHaveLength(11);
    const e = await runCli([
      'query',
      'explain',
      '--query',
      `${OMNI}/test.gq`,
      '--name',
      'friends_of',
      '--uri',
      repo,
    ]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('expand $p -[Knows]-> $f: Person [edge:Knows]');
  });

  it('explain with --schema, text and JSON; unknown query name', async () => {
    const t = await runCli([
      'query',
      'explain',
      '--query',
      `${OMNI}/search.gq`,
      '--schema',
      `${OMNI}/search.pg`,
      '--name',
      'vector_search',
    ]);
    expect(t.code).toBe(0);
    expect(t.stdout).toBe(
      [
        'query vector_search($q: Vector(4)) read',
        '  scan $d: Doc [node:Doc]',
        '  order nearest($d.embedding, $q) asc',
        '  limit 3',
        '  project d.slug, d.title',
        '  columns d.slug: String, d.title: String',
        '',
      ].join('\n'),
    );
    const j = await runCli([
      'query',
      'explain',
      '--query',
      `${OMNI}/search.gq`,
      '--schema',
      `${OMNI}/search.pg`,
      '--name',
      'vector_search',
      '--json',
    ]);
    expect(j.json()).toMatchObject({
      kind: 'read',
      name: 'vector_search',
      ops: [{ op: 'scan' }, { op: 'order' }, { op: 'limit', count: 3 }, { op: 'project' }],
    });
    const missing = await runCli([
      'query',
      'explain',
      '--query',
      `${OMNI}/search.gq`,
      '--schema',
      `${OMNI}/search.pg`,
      '--name',
      'nope',
      '--json',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.json().code).toBe('QueryNotFound');
  });

  it('lint at the top level (and its alias check): a schema or a repo, one descriptor per query', async () => {
    const schema = await runCli([
      'lint',
      '--query',
      `${OMNI}/test.gq`,
      '--schema',
      `${OMNI}/test.pg`,
      '--json',
    ]);
    expect(schema.code).toBe(0);
    const queries = schema.json().queries as Array<{
      name: string;
      operation: { writes: unknown[] };
    }>;
    expect(queries).toHaveLength(11);
    // Reads write nothing; every compiled query has its descriptor.
    expect(queries.every((q) => Array.isArray(q.operation.writes))).toBe(true);
    const repo = join(tmp, 'lint-repo');
    expect((await runCli(['init', '--schema', `${OMNI}/test.pg`, repo, '--json'])).code).toBe(0);
    const check = await runCli(['check', '--query', `${OMNI}/test.gq`, repo, '--json']);
    expect(check.code).toBe(0);
    expect(check.json()).toEqual(schema.json());
    const legacy = await runCli([
      'query',
      'lint',
      '--query',
      `${OMNI}/test.gq`,
      '--schema',
      `${OMNI}/test.pg`,
      '--json',
    ]);
    expect(legacy.json()).toEqual(schema.json());
    // A mutation lists the exact types it writes.
    const file = join(tmp, 'hire.gq');
    writeFileSync(
      file,
      'query hire($p: String, $c: String) { insert WorksAt { from: $p, to: $c } }\n',
    );
    const m = await runCli(['lint', '--query', file, '--schema', `${OMNI}/test.pg`, '--json']);
    expect(m.json().queries[0].operation).toMatchObject({
      params: [
        { name: 'p', type: 'String', optional: false },
        { name: 'c', type: 'String', optional: false },
      ],
      writes: [{ kind: 'edge', type_name: 'WorksAt' }],
    });
    // Neither a schema nor a repo, or both: usage errors (exit 2).
    const none = await runCli(['lint', '--query', file, '--json']);
    expect(none.code).toBe(2);
    const both = await runCli([
      'lint',
      '--query',
      file,
      '--schema',
      `${OMNI}/test.pg`,
      repo,
      '--json',
    ]);
    expect(both.code).toBe(2);
  });
});
