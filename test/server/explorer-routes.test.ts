/**
 * The read-only endpoints the Explorer uses (docs/server.md, docs/ui.md) over real HTTP
 * with tokens and a policy: their answers, their bad paths, and the policy on the branch
 * whose data each returns. The page itself in a browser: test/ui/explorer.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allRoutes, openApiDocument } from '../../src/server/index.js';
import { ROOT } from '../helpers/cli.js';
import { call, makeFixtureRepo, serveRepo, type TestServer } from '../helpers/server.js';

const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789ab',
  carol: 'carol-token-0123456789',
};
const POLICY = `
version: 1
groups:
  admins: [alice]
  readers: [bob]
  branch_readers: [carol]
protected_branches: [main]
rules:
  - id: admins
    allow: { actors: { group: admins }, actions: [read, export, change, admin, branch_create] }
  - id: readers
    allow: { actors: { group: readers }, actions: [read], branch_scope: any }
  - id: branch-readers
    allow: { actors: { group: branch_readers }, actions: [read], branch_scope: unprotected }
`;
const EDITS_GQ = `
query add_person($name: String, $age: I32) { insert Person { name: $name, age: $age } }
query set_age($name: String, $age: I32) { update Person set { age: $age } where name = $name }
query know($a: String, $b: String) { insert Knows { from: $a, to: $b } }
`;

let root: string;
let srv: TestServer;
let featCommit: string;
const as = (actor: keyof typeof TOKENS, path: string) =>
  call(srv.url, 'GET', path, { token: TOKENS[actor] });

async function change(name: string, params: Record<string, unknown>, branch = 'feat') {
  return call(srv.url, 'POST', '/change', {
    token: TOKENS.alice,
    body: { query_source: EDITS_GQ, query_name: name, params, branch },
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-explore-'));
  writeFileSync(join(root, 'policy.yaml'), POLICY);
  const dir = await makeFixtureRepo(join(root, 'repo'));
  srv = await serveRepo(dir, {
    policyFile: join(root, 'policy.yaml'),
    env: { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify(TOKENS) },
  });
  await call(srv.url, 'POST', '/branches', { token: TOKENS.alice, body: { name: 'feat' } });
  expect((await change('add_person', { name: "O'Brien", age: 40 })).status).toBe(200);
  expect((await change('know', { a: "O'Brien", b: 'Bob' })).status).toBe(200);
  const last = await change('set_age', { name: 'Alice', age: 31 });
  expect(last.status).toBe(200);
  featCommit = last.body.graph_commit_id;
});
afterAll(async () => {
  await srv?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('GET /graph/neighbours', () => {
  it('a node with its neighbours one edge away in both directions, and the edges', async () => {
    const r = await as('bob', '/graph/neighbours?type=Person&id=Bob');
    expect(r.status).toBe(200);
    expect(r.body.node).toMatchObject({ type: 'Person', id: 'Bob', properties: { age: 25 } });
    const names = (r.body.neighbours as Array<{ type: string; id: string }>)
      .map((n) => `${n.type}:${n.id}`)
      .sort();
    expect(names).toEqual(['Company:Globex', 'Person:Alice', 'Person:Diana']);
    const edges = (r.body.edges as any[]).map((e) => `${e.from.id}-${e.type}->${e.to.id}`).sort();
    expect(edges).toEqual(['Alice-Knows->Bob', 'Bob-Knows->Diana', 'Bob-WorksAt->Globex']);
    expect(r.body.truncated).toBe(false);
  });

  it('reads the branch asked for; a quote in an id is data, not SQL', async () => {
    const main = await as(
      'bob',
      `/graph/neighbours?type=Person&id=${encodeURIComponent("O'Brien")}`,
    );
    expect(main.status).toBe(404);
    expect(main.body.lancelog_code).toBe('NodeNotFound');
    const feat = await as(
      'bob',
      `/graph/neighbours?type=Person&id=${encodeURIComponent("O'Brien")}&branch=feat`,
    );
    expect(feat.status).toBe(200);
    expect(feat.body.neighbours.map((n: { id: string }) => n.id)).toEqual(['Bob']);
  });

  it('stops at the limit and says so', async () => {
    const r = await as('bob', '/graph/neighbours?type=Person&id=Bob&limit=2');
    expect(r.body.edges).toHaveLength(2);
    expect(r.body.truncated).toBe(true);
  });

  it('refuses an edge type, an unknown type and an unknown parameter (400)', async () => {
    const edge = await as('bob', '/graph/neighbours?type=Knows&id=x');
    expect([edge.status, edge.body.lancelog_code]).toEqual([400, 'NotANodeType']);
    expect((await as('bob', '/graph/neighbours?type=Nope&id=x')).status).toBe(400);
    const extra = await as('bob', '/graph/neighbours?type=Person&id=Bob&depth=3');
    expect([extra.status, extra.body.lancelog_code]).toEqual([400, 'InvalidRequest']);
  });

  it('needs read on the branch it reads', async () => {
    expect((await as('carol', '/graph/neighbours?type=Person&id=Bob')).status).toBe(403);
    expect((await as('carol', '/graph/neighbours?type=Person&id=Bob&branch=feat')).status).toBe(
      200,
    );
  });
});

describe('POST /queries/check', () => {
  const check = (source: string) =>
    call(srv.url, 'POST', '/queries/check', {
      token: TOKENS.bob,
      body: { query_source: source },
    });

  it('lists the queries with their parameters, and warnings at their place', async () => {
    const r = await check(
      'query q($name: String, $n: I64?) {\n  match { $p: Person { name: $name } }\n  return { $p.name }\n}',
    );
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.queries).toEqual([
      {
        name: 'q',
        kind: 'read',
        status: 'ok',
        params: [
          { name: 'name', type: 'String', optional: false },
          { name: 'n', type: 'I64', optional: true },
        ],
      },
    ]);
    expect(r.body.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'UnusedParameter',
        line: 1,
        query: 'q',
      }),
    ]);
  });

  it('an unknown type is an error at its line and column', async () => {
    const r = await check('query q() {\n  match { $p: Persn }\n  return { $p }\n}');
    expect(r.body.ok).toBe(false);
    expect(r.body.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'UnknownType', line: 2, column: 15 }),
    ]);
  });

  it('a syntax error is one positioned diagnostic, not a failed request', async () => {
    const r = await check('query q( {\n}');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: false, queries: [] });
    expect(r.body.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'ParseError', line: 1 }),
    ]);
  });
});

describe('history: branches, commit summaries, diffs', () => {
  it('GET /branches/{branch}: its fork point and head; 404 for none', async () => {
    const r = await as('bob', '/branches/feat');
    expect(r.body).toMatchObject({
      name: 'feat',
      parent_branch: 'main',
      head_commit_id: featCommit,
    });
    expect(r.body.forks.map((f: { table_key: string }) => f.table_key).sort()).toEqual([
      'edge:Knows',
      'node:Person',
    ]);
    expect((await as('bob', '/branches/nope')).status).toBe(404);
    expect((await as('carol', '/branches/main')).status).toBe(403);
  });

  it('GET /commits/{id}/summary: the tables moved and the rows changed in each', async () => {
    const r = await as('bob', `/commits/${featCommit}/summary`);
    expect(r.status).toBe(200);
    expect(r.body.tables).toEqual([
      expect.objectContaining({ table_key: 'node:Person', inserts: 0, updates: 1, deletes: 0 }),
    ]);
    expect(typeof r.body.op_id).toBe('string');
    expect((await as('carol', `/commits/${featCommit}/summary`)).status).toBe(200);
    // Main's head is where feat forked (main has not moved): feat's history has it, so a
    // reader of feat may read it. Commits only main has: test/server/read-access.test.ts.
    const mainHead = (await as('bob', '/commits?branch=main')).body.commits[0].graph_commit_id;
    expect((await as('carol', `/commits/${mainHead}/summary`)).status).toBe(200);
  });

  it('GET /diff: every change between two refs with before and after values', async () => {
    const r = await as('bob', '/diff?from=main&to=feat');
    expect(r.status).toBe(200);
    expect(r.body.stats).toEqual({ inserts: 2, updates: 1, deletes: 0 });
    const alice = r.body.changes.find((c: { id: string }) => c.id === 'Alice');
    expect(alice).toMatchObject({
      op: 'update',
      before: { properties: { age: 30 } },
      after: { properties: { age: 31 } },
    });
    const backwards = await as('bob', '/diff?from=feat&to=main');
    expect(backwards.body.stats).toEqual({ inserts: 0, updates: 1, deletes: 2 });
    const one = await as('bob', '/diff?from=main&to=feat&limit=1');
    expect([one.body.changes.length, one.body.truncated]).toEqual([1, true]);
  });

  it('GET /diff needs read on both sides and names unknown refs', async () => {
    // What is read is checked, not the name: main's head is in feat's history (see above).
    expect((await as('carol', '/diff?from=main&to=feat')).status).toBe(200);
    expect((await as('carol', '/diff?from=feat@1&to=feat')).status).toBe(200);
    expect((await as('bob', '/diff?from=nope&to=feat')).status).toBe(404);
    expect((await as('bob', '/diff?from=main')).status).toBe(400);
  });

  it('GET /indexes: each wanted index with its state', async () => {
    const r = await as('bob', '/indexes?branch=feat');
    expect(r.body.branch).toBe('feat');
    expect(r.body.indexes).toContainEqual(
      expect.objectContaining({ type: 'Person', column: 'name', kind: 'btree' }),
    );
  });
});

describe('audit: operations, timelines, recovery records, doctor (admin)', () => {
  it('GET /operations: newest first, a failed write marked with its error', async () => {
    const dup = await change('add_person', { name: 'Alice', age: 1 }, 'main');
    expect(dup.status).toBe(400);
    const r = await as('alice', '/operations?limit=5');
    const failed = r.body.operations[0];
    expect(failed).toMatchObject({ kind: 'Mutation', actor: 'alice', state: 'rolled_back' });
    expect(failed.error.code).toBeTruthy();
    const done = r.body.operations.find((o: { commitId: string }) => o.commitId === featCommit);
    expect(done).toMatchObject({ state: 'completed', recovery: null, inFlight: false });
  });

  it('GET /operations/{op_id}/timeline: the protocol steps with their phases', async () => {
    const op = (await as('alice', `/commits/${featCommit}/summary`)).body.op_id;
    const t = await as('alice', `/operations/${op}/timeline`);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ opId: op, outcome: 'completed', commitId: featCommit });
    const phases = [...new Set(t.body.steps.map((s: { phase: string }) => s.phase))];
    expect(phases).toEqual(['begin', 'lease', 'intent', 'table_commit', 'publish', 'cleanup']);
    expect((await as('alice', '/operations/01NOPE/timeline')).status).toBe(404);
  });

  it('GET /recovery/{op_id}: none for an operation recovery never saw; 404 for no operation', async () => {
    const op = (await as('alice', `/commits/${featCommit}/summary`)).body.op_id;
    const r = await as('alice', `/recovery/${op}`);
    expect(r.body).toMatchObject({ opId: op, pending: false, records: [] });
    expect((await as('alice', '/recovery/01NOPE')).status).toBe(404);
  });

  it('GET /doctor: the checks, and no repair', async () => {
    const r = await as('alice', '/doctor');
    expect(r.body).toMatchObject({ ok: true, problems: [], repaired: false });
    expect(r.body.checks).toContain('HEAD == pin on every table and branch');
  });

  it.each(['/operations', '/operations/x/timeline', '/recovery/x', '/doctor'])(
    '%s is denied to a reader (admin)',
    async (path) => {
      const r = await as('bob', path);
      expect([r.status, r.body.details]).toEqual([403, { action: 'admin', actor: 'bob' }]);
    },
  );
});

describe('documented', () => {
  const doc = openApiDocument(allRoutes()) as { paths: Record<string, Record<string, unknown>> };
  const serverMd = readFileSync(join(ROOT, 'docs', 'server.md'), 'utf8');
  it.each(allRoutes().map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s is in /openapi.json and in docs/server.md',
    (name, r) => {
      expect(doc.paths[r.path][r.method.toLowerCase()]).toBeDefined();
      // The path whole: followed by its query string or the end of the code span.
      expect(serverMd).toContain(`\`${r.method} ${r.path}`);
      expect(serverMd).toMatch(
        new RegExp(`\`${r.method} ${r.path.replace(/[{}?]/g, '\\$&')}[\`?]`),
      );
    },
  );
});
