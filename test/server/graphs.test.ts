/**
 * `lancelog serve --graph NAME=URI …` against real repos over real HTTP, driven as the
 * reference's current TypeScript SDK (ModernRelay/omnigraph-ts, `packages/sdk/src/`)
 * builds its requests — read from its public source, written here independently:
 *   - its transport joins the base URL (trailing slashes trimmed) and the path; a client
 *     configured with a graph id addresses `/graphs/{encodeURIComponent(id)}` + the
 *     resource path (`/query`, `/mutate`, `/queries/{encodeURIComponent(name)}`, …),
 *     while `/graphs` and `/healthz` are never prefixed;
 *   - query parameters appended with `URLSearchParams.append`, null and undefined left
 *     out, arrays repeated;
 *   - headers: `Authorization: Bearer <token>`, `Accept: application/json,
 *     application/x-ndjson`, and `Content-Type: application/json` only when there is a body;
 *   - the body `JSON.stringify`-ed after its camelCase keys become snake_case (`params`
 *     passed through verbatim) — the bodies below are written in the wire's snake_case;
 *   - an answer that is not 2xx read as JSON when it parses (its error class from the status).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureRepo, serveRepo, type TestServer } from '../helpers/server.js';

const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789ab',
  carol: 'carol-token-0123456789',
};
const POLICY = `
version: 1
groups:
  team: [alice, bob]
  admins: [alice]
  guests: [carol]
protected_branches: [main]
rules:
  - id: guests-read
    allow: { actors: { group: guests }, actions: [read], branch_scope: unprotected }
  - id: team-read
    allow: { actors: { group: team }, actions: [read, export], branch_scope: any }
  - id: team-list
    allow: { actors: { group: team }, actions: [graph_list] }
  - id: team-write
    allow: { actors: { group: team }, actions: [change], branch_scope: unprotected }
  - id: admins
    allow: { actors: { group: admins }, actions: [change, invoke_query, branch_create, branch_delete, branch_merge] }
`;
const PEOPLE_GQ = `
query person($name: String) @description("One person by name") @instruction("Use the exact name") @expose {
  match { $p: Person { name: $name } }
  return { $p.name, $p.age }
}
query set_age($name: String, $age: I32) @expose {
  update Person set { age: $age } where name = $name
}
`;

interface SdkAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One request as the SDK's transport sends it (see the header comment). */
async function sdk(
  base: string,
  graphId: string | null,
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string | null | undefined>; token?: string } = {},
): Promise<SdkAnswer> {
  const prefix = graphId === null ? '' : `/graphs/${encodeURIComponent(graphId)}`;
  const url = new URL(base.replace(/\/+$/, '') + prefix + path);
  for (const [k, v] of Object.entries(opts.query ?? {}))
    if (v !== undefined && v !== null) url.searchParams.append(k, v);
  const headers = new Headers();
  headers.set('Authorization', `Bearer ${opts.token ?? TOKENS.alice}`);
  headers.set('Accept', 'application/json, application/x-ndjson');
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set('Content-Type', 'application/json');
  }
  const res = await fetch(url.toString(), { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* NDJSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let root: string;
let server: TestServer;
let base: string;
const env = { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify(TOKENS) };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-graphs-'));
  await makeFixtureRepo(join(root, 'people'));
  await makeFixtureRepo(join(root, 'crm'));
  mkdirSync(join(root, 'queries', 'crm'), { recursive: true });
  writeFileSync(join(root, 'queries', 'people.gq'), PEOPLE_GQ);
  writeFileSync(
    join(root, 'queries', 'crm', 'only-crm.gq'),
    'query companies() { match { $c: Company } return { $c.name } }\n',
  );
  writeFileSync(join(root, 'policy.yaml'), POLICY);
  server = await serveRepo('', {
    repo: undefined,
    graphs: { people: join(root, 'people'), crm: join(root, 'crm') },
    queriesDir: join(root, 'queries'),
    policyFile: join(root, 'policy.yaml'),
    env,
  });
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('several graphs under /graphs/{graph_id}', () => {
  it('GET /graphs lists every served graph (never under a prefix)', async () => {
    const r = await sdk(base, null, 'GET', '/graphs');
    expect(r.status).toBe(200);
    expect(r.body.graphs.map((g: { graph_id: string }) => g.graph_id)).toEqual(['crm', 'people']);
  });

  it('/query reads one graph; /mutate writes one graph and answers its commit', async () => {
    const q = await sdk(base, 'people', 'POST', '/query', {
      body: { query: PEOPLE_GQ, name: 'person', params: { name: 'Alice' } },
    });
    expect(q.status).toBe(200);
    expect(q.body.rows).toEqual([{ 'p.name': 'Alice', 'p.age': 30 }]);
    expect(q.body.graph_commit_id).toBe(q.body.target.snapshot);
    // bob may change unprotected branches only: main is protected.
    const denied = await sdk(base, 'people', 'POST', '/mutate', {
      body: { query: PEOPLE_GQ, name: 'set_age', params: { name: 'Alice', age: 31 } },
      token: TOKENS.bob,
    });
    expect(denied.status).toBe(403);
    const m = await sdk(base, 'people', 'POST', '/mutate', {
      body: { query: PEOPLE_GQ, name: 'set_age', params: { name: 'Alice', age: 31 } },
    });
    expect(m.status).toBe(200);
    expect(m.body.affected_nodes).toBe(1);
    expect(m.body.commit.graph_commit_id).toBe(m.body.graph_commit_id);
    // The other graph is another repo: untouched.
    const other = await sdk(base, 'crm', 'POST', '/query', {
      body: { query: PEOPLE_GQ, name: 'person', params: { name: 'Alice' } },
    });
    expect(other.body.rows).toEqual([{ 'p.name': 'Alice', 'p.age': 30 }]);
  });

  it('/query is authorized by the commit it reads (authorizeRead), not the branch named', async () => {
    await sdk(base, 'people', 'POST', '/branches', { body: { name: 'open', from: 'main' } });
    // A commit only main has (made after 'open' forked): no branch carol may read has it.
    const onlyMain = await sdk(base, 'people', 'POST', '/mutate', {
      body: { query: PEOPLE_GQ, name: 'set_age', params: { name: 'Charlie', age: 40 } },
    });
    const asGuest = (body: Record<string, unknown>) =>
      sdk(base, 'people', 'POST', '/query', {
        body: { query: PEOPLE_GQ, name: 'person', params: { name: 'Alice' }, ...body },
        token: TOKENS.carol,
      });
    expect((await asGuest({ branch: 'open' })).status).toBe(200);
    const denied = await asGuest({ snapshot: onlyMain.body.graph_commit_id });
    expect(denied.status).toBe(403);
    expect(denied.body.details.ref).toBe(onlyMain.body.graph_commit_id);
    expect((await asGuest({ branch: 'main' })).status).toBe(403);
    // Naming an allowed branch does not widen what a snapshot reads: both are refused.
    expect(
      (await asGuest({ branch: 'open', snapshot: onlyMain.body.graph_commit_id })).status,
    ).toBe(400);
    // Listing graphs is an action of its own.
    expect((await sdk(base, null, 'GET', '/graphs', { token: TOKENS.carol })).status).toBe(403);
  });

  it('/query refuses a mutation, and branch with snapshot', async () => {
    const m = await sdk(base, 'people', 'POST', '/query', {
      body: { query: PEOPLE_GQ, name: 'set_age', params: { name: 'Alice', age: 1 } },
    });
    expect(m.status).toBe(400);
    expect(m.body.details.field).toBe('body.query');
    const both = await sdk(base, 'people', 'POST', '/query', {
      body: {
        query: PEOPLE_GQ,
        name: 'person',
        params: { name: 'A' },
        branch: 'main',
        snapshot: 'x',
      },
    });
    expect(both.status).toBe(400);
  });

  it('/read and /change answer with Deprecation and a Link to their successor', async () => {
    const r = await sdk(base, 'people', 'POST', '/read', {
      body: { query_source: PEOPLE_GQ, query_name: 'person', params: { name: 'Bob' } },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('deprecation')).toBe('true');
    expect(r.headers.get('link')).toBe('</graphs/people/query>; rel="successor-version"');
    const q = await sdk(base, 'people', 'POST', '/query', {
      body: { query: PEOPLE_GQ, name: 'person', params: { name: 'Bob' } },
    });
    expect(q.headers.get('deprecation')).toBeNull();
  });

  it('an unknown graph is a 404 GraphNotFound; without a token a 401 first', async () => {
    const r = await sdk(base, 'nope', 'GET', '/snapshot');
    expect(r.status).toBe(404);
    expect(r.body.lancelog_code).toBe('GraphNotFound');
    const anon = await fetch(`${base}/graphs/nope/snapshot`);
    expect(anon.status).toBe(401);
    // With --graph only, the single-graph paths are not served.
    expect((await sdk(base, null, 'GET', '/snapshot')).status).toBe(404);
  });

  it('/load/ndjson loads raw NDJSON; a missing branch needs from', async () => {
    const data = '{"type": "Person", "data": {"name": "Zed", "age": 9}}\n';
    const send = (query: string, token = TOKENS.alice) =>
      fetch(`${base}/graphs/crm/load/ndjson${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body: data,
      });
    const missing = await send('?branch=feature');
    expect(missing.status).toBe(404);
    const created = await send('?branch=feature&from=main&mode=merge');
    const body = (await created.json()) as any;
    expect(created.status).toBe(200);
    expect(body).toMatchObject({
      branch: 'feature',
      branch_created: true,
      base_branch: 'main',
      total_entities: 1,
      nodes: [{ name: 'Person', entities_loaded: 1 }],
    });
    expect(body.commit.graph_commit_id).toEqual(expect.any(String));
  });

  it('/load/ndjson: a bad line is a 400 naming it, and the branch it would create is not left', async () => {
    const res = await fetch(`${base}/graphs/crm/load/ndjson?branch=broken&from=main`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/x-ndjson' },
      body: '{"type": "Person", "data": {"name": "Ok"}}\n{"type": "Persn", "data": {}}\n',
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.details.line).toBe(2);
    const branches = await sdk(base, 'crm', 'GET', '/branches');
    expect(branches.body.branches).not.toContain('broken');
    // A JSON body is not NDJSON.
    const json = await sdk(base, 'crm', 'POST', '/load/ndjson', { body: { data: '' } });
    expect(json.status).toBe(400);
  });

  it('merge with delete_branch deletes the source under its own check', async () => {
    await sdk(base, 'crm', 'POST', '/branches', { body: { name: 'tmp', from: 'main' } });
    await sdk(base, 'crm', 'POST', '/mutate', {
      body: { query: PEOPLE_GQ, name: 'set_age', params: { name: 'Bob', age: 26 }, branch: 'tmp' },
    });
    const m = await sdk(base, 'crm', 'POST', '/branches/merge', {
      body: { source: 'tmp', target: 'main', delete_branch: true },
    });
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ outcome: 'fast_forward', branch_deleted: true });
    const branches = await sdk(base, 'crm', 'GET', '/branches');
    expect(branches.body.branches).not.toContain('tmp');
  });

  it('export, schema, commits, the change feed and conditional mutations under a graph', async () => {
    const exported = await sdk(base, 'people', 'POST', '/export', { body: { branch: 'main' } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    expect(String(exported.body).trim().split('\n').length).toBeGreaterThan(5);
    const schema = await sdk(base, 'people', 'GET', '/schema');
    expect(schema.body.schema_source).toMatch(/node Person/);
    const head = (await sdk(base, 'people', 'GET', '/commits', { query: { branch: 'main' } })).body
      .commits[0].graph_commit_id as string;
    const feed = await sdk(base, 'people', 'GET', '/changes', {
      query: { branch: 'main', start: 'beginning' },
    });
    expect(feed.status).toBe(200);
    expect(feed.body.blocks.length).toBeGreaterThan(0);
    const conditional = (commit: string) =>
      fetch(`${base}/graphs/people/mutate/if-graph-commit`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKENS.alice}`,
          'content-type': 'application/json',
          'omnigraph-if-graph-commit': commit,
        },
        body: JSON.stringify({
          query_source: PEOPLE_GQ,
          query_name: 'set_age',
          params: { name: 'Charlie', age: 36 },
        }),
      });
    const won = await conditional(head);
    expect(won.status).toBe(200);
    const lost = await conditional(head);
    expect(lost.status).toBe(412);
  });

  it('/openapi.json describes the single-graph and the graph paths', async () => {
    const doc = (await sdk(base, null, 'GET', '/openapi.json')).body;
    expect(doc.paths['/read'].post.deprecated).toBe(true);
    expect(doc.paths['/graphs/{graph_id}/query'].post.operationId).toBe('graph_query');
    expect(doc.paths['/graphs/{graph_id}/query'].post.parameters[0].name).toBe('graph_id');
    expect(
      Object.keys(doc.paths['/graphs/{graph_id}/load/ndjson'].post.requestBody.content),
    ).toEqual(['application/x-ndjson']);
    expect(doc.paths['/graphs'].get.operationId).toBe('listGraphs');
  });
});

describe('stored queries (serve --queries)', () => {
  it('GET /queries lists name, kind, typed params and annotations, per graph', async () => {
    const people = await sdk(base, 'people', 'GET', '/queries');
    expect(people.body.queries.map((q: { name: string }) => q.name)).toEqual(['person', 'set_age']);
    expect(people.body.queries[0]).toMatchObject({
      kind: 'read',
      mutation: false,
      description: 'One person by name',
      instruction: 'Use the exact name',
      expose: true,
      params: [{ name: 'name', kind: 'string', nullable: false, type: 'String' }],
    });
    expect(people.body.queries[1].params[1]).toMatchObject({ name: 'age', kind: 'int' });
    // bob may not invoke: the catalog shows him no names (what a 404 hides stays hidden).
    const asBob = await sdk(base, 'people', 'GET', '/queries', { token: TOKENS.bob });
    expect(asBob.status).toBe(200);
    expect(asBob.body.queries).toEqual([]);
    const crm = await sdk(base, 'crm', 'GET', '/queries');
    expect(crm.body.queries.map((q: { name: string }) => q.name)).toContain('companies');
  });

  it('POST /queries/{name} invokes a read and a mutation', async () => {
    const r = await sdk(base, 'people', 'POST', `/queries/${encodeURIComponent('person')}`, {
      body: { params: { name: 'Bob' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([{ 'p.name': 'Bob', 'p.age': 25 }]);
    const m = await sdk(base, 'people', 'POST', '/queries/set_age', {
      body: { params: { name: 'Bob', age: 27 } },
    });
    expect(m.status).toBe(200);
    expect(m.body.affected_nodes).toBe(1);
    const kind = await sdk(base, 'people', 'POST', '/queries/person', {
      body: { params: { name: 'Bob' }, expect_mutation: true },
    });
    expect(kind.status).toBe(400);
  });

  it('a query the caller may not invoke is the same 404 as an unknown one', async () => {
    const denied = await sdk(base, 'people', 'POST', '/queries/person', {
      body: { params: { name: 'Bob' } },
      token: TOKENS.bob,
    });
    const unknown = await sdk(base, 'people', 'POST', '/queries/nope', { body: {} });
    expect(denied.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(denied.body.lancelog_code).toBe('StoredQueryNotFound');
    expect(unknown.body.lancelog_code).toBe('StoredQueryNotFound');
    // The per-graph file is not a query of the other graph.
    expect((await sdk(base, 'people', 'POST', '/queries/companies', { body: {} })).status).toBe(
      404,
    );
  });
});

describe('startup', () => {
  it('a query that does not check refuses startup naming the file, line and reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lancelog-badq-'));
    try {
      writeFileSync(join(dir, 'ok.gq'), PEOPLE_GQ);
      writeFileSync(
        join(dir, 'bad.gq'),
        '\n\nquery broken() {\n  match { $p: Persn }\n  return { $p.name }\n}\n',
      );
      const err = await serveRepo(join(root, 'people'), { queriesDir: dir }).then(
        () => null,
        (e: unknown) => e as { code: string; details: Record<string, unknown> },
      );
      expect(err?.code).toBe('StoredQueryInvalid');
      expect(err?.details).toMatchObject({ file: 'bad.gq', line: 4, query: 'broken' });
      expect(String(err?.details.reason)).toMatch(/Persn/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a duplicate name, a syntax error or a folder naming no graph refuse startup', async () => {
    const cases: Array<[Record<string, string>, Record<string, unknown>]> = [
      [
        { 'a.gq': PEOPLE_GQ, 'b.gq': PEOPLE_GQ },
        { file: 'b.gq', query: 'person', reason: expect.stringMatching(/also declared in a\.gq/) },
      ],
      [{ 'c.gq': '\nquery oops( {\n' }, { file: 'c.gq', line: 2 }],
      [{ 'typo/q.gq': PEOPLE_GQ }, { file: join('typo', 'q.gq'), graph_id: 'typo' }],
    ];
    for (const [files, details] of cases) {
      const dir = mkdtempSync(join(tmpdir(), 'lancelog-badq-'));
      try {
        for (const [name, text] of Object.entries(files)) {
          mkdirSync(join(dir, name, '..'), { recursive: true });
          writeFileSync(join(dir, name), text);
        }
        const err = await serveRepo('', {
          repo: undefined,
          graphs: { people: join(root, 'people') },
          queriesDir: dir,
        }).then(
          () => null,
          (e: unknown) => e as { code: string; details: Record<string, unknown> },
        );
        expect(err?.code).toBe('StoredQueryInvalid');
        expect(err?.details).toMatchObject(details);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('serve REPO keeps the single-graph paths and serves the repo as graph default', async () => {
    const single = await serveRepo(join(root, 'people'));
    try {
      const flat = await sdk(single.url, null, 'GET', '/snapshot');
      const graph = await sdk(single.url, 'default', 'GET', '/snapshot');
      expect(flat.status).toBe(200);
      expect(graph.body).toEqual(flat.body);
      const list = await sdk(single.url, null, 'GET', '/graphs');
      expect(list.body.graphs).toEqual([{ graph_id: 'default', uri: join(root, 'people') }]);
    } finally {
      await single.close();
    }
  });
});
