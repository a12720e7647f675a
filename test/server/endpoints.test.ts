/**
 * Every endpoint of `lancelog serve` through a real HTTP client (fetch) against a real
 * server on 127.0.0.1 (port 0) over a real repo; responses are checked against the
 * zod schemas /openapi.json is generated from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { apiSchemas as S } from '../../src/server/index.js';
import {
  call,
  makeFixtureRepo,
  MUTATIONS_GQ,
  serveRepo,
  TEST_GQ,
  type TestServer,
} from '../helpers/server.js';

let dir: string;
let srv: TestServer;
const get = (path: string) => call(srv.url, 'GET', path);
const post = (path: string, body: unknown) => call(srv.url, 'POST', path, { body });
const valid = <T>(schema: z.ZodType<T>, body: unknown): T => schema.parse(body);

beforeAll(async () => {
  dir = await makeFixtureRepo(mkdtempSync(join(tmpdir(), 'lancelog-serve-')));
  srv = await serveRepo(dir);
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reference endpoints', () => {
  it('GET /healthz reports the repo and journal; GET /openapi.json serves the document', async () => {
    const h = await get('/healthz');
    expect(h.status).toBe(200);
    const health = valid(S.HealthSchema, h.body);
    expect(health).toMatchObject({ status: 'ok', repo: { uri: dir, branches: 1 } });
    expect(health.journal!.events).toBeGreaterThan(0);
    expect(health.journal!.pending_recovery).toBe(0);
    const doc = await get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/branches/merge');
  });

  it('GET /snapshot: every table with version and rows; unknown branch is 404', async () => {
    const r = await get('/snapshot?branch=main');
    expect(r.status).toBe(200);
    const snap = valid(S.SnapshotSchema, r.body);
    expect(snap.tables.find((t) => t.table_key === 'node:Person')?.row_count).toBe(4);
    const missing = await get('/snapshot?branch=nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found', lancelog_code: 'BranchNotFound' });
  });

  it('POST /read: named query with params; errors are 400 with the reference code', async () => {
    const r = await post('/read', {
      query_source: TEST_GQ,
      query_name: 'friends_of',
      params: { name: 'Alice' },
    });
    expect(r.status).toBe(200);
    const out = valid(S.ReadOutputSchema, r.body);
    expect(out.rows).toEqual([
      { 'f.name': 'Bob', 'f.age': 25 },
      { 'f.name': 'Charlie', 'f.age': 35 },
    ]);
    expect(out.target.branch).toBe('main');
    // Several queries and no name; unknown query; missing parameter; not an object.
    for (const body of [
      { query_source: TEST_GQ },
      { query_source: TEST_GQ, query_name: 'nope' },
      { query_source: TEST_GQ, query_name: 'friends_of', params: {} },
      { query_name: 'friends_of' },
    ]) {
      const bad = await post('/read', body);
      expect({ body, status: bad.status, code: bad.body.code }).toEqual({
        body,
        status: 400,
        code: 'bad_request',
      });
    }
    const malformed = await call(srv.url, 'POST', '/read', { rawBody: '{"query_source": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('bad_request');
  });

  it('POST /change then /read at the old snapshot (time travel) and at the new head', async () => {
    const before = (await get('/snapshot')).body.manifest_version as number;
    const oldCommit = (await get('/commits?branch=main')).body.commits[0].graph_commit_id;
    const r = await post('/change', {
      query_source: MUTATIONS_GQ,
      query_name: 'add_person',
      params: { name: 'Dora', age: 41 },
    });
    expect(r.status).toBe(200);
    const out = valid(S.ChangeOutputSchema, r.body);
    expect(out).toMatchObject({ branch: 'main', affected_nodes: 1, actor_id: 'anonymous' });
    expect((await get('/snapshot')).body.manifest_version).toBe(before + 1);
    const q = { query_source: TEST_GQ, query_name: 'get_person', params: { name: 'Dora' } };
    expect((await post('/read', q)).body.row_count).toBe(1);
    expect((await post('/read', { ...q, snapshot: oldCommit })).body.row_count).toBe(0);
    const commit = await get(`/commits/${out.graph_commit_id}`);
    expect(valid(S.CommitSchema, commit.body)).toMatchObject({ actor_id: 'anonymous' });
    // A read query is not a mutation; a duplicate key is a validation error: 400, nothing written.
    const asRead = await post('/change', { query_source: TEST_GQ, query_name: 'adults' });
    expect(asRead.body).toMatchObject({ code: 'bad_request', lancelog_code: 'QueryNotMutation' });
    const dup = await post('/change', {
      query_source: MUTATIONS_GQ,
      query_name: 'add_person',
      params: { name: 'Dora', age: 1 },
    });
    expect(dup.status).toBe(400);
    expect((await get('/snapshot')).body.manifest_version).toBe(before + 1);
  });

  it('POST /export streams NDJSON of the graph or of some types', async () => {
    const all = await call(srv.url, 'POST', '/export', { body: {} });
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (all.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'Person').length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.edge === 'Knows')).toBe(true);
    const some = await call(srv.url, 'POST', '/export', { body: { table_keys: ['node:Company'] } });
    const types = new Set(
      (some.body as string)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    );
    expect([...types]).toEqual(['Company']);
    const bad = await post('/export', { type_names: ['Nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.lancelog_code).toBe('UnknownType');
  });

  it('GET /schema returns the .pg source', async () => {
    const r = await get('/schema');
    expect(valid(S.SchemaOutputSchema, r.body).schema_source).toContain('node Person');
  });

  it('POST /ingest creates the branch from `from`; a bad line is 400 and creates nothing', async () => {
    const data = '{"type": "Person", "data": {"name": "Eve", "age": 22}}\n';
    const r = await post('/ingest', { data, branch: 'feat', from: 'main' });
    expect(r.status).toBe(200);
    expect(valid(S.IngestOutputSchema, r.body)).toMatchObject({
      branch: 'feat',
      base_branch: 'main',
      branch_created: true,
      mode: 'merge',
      tables: [{ table_key: 'node:Person', rows_loaded: 1 }],
    });
    const eve = { query_source: TEST_GQ, query_name: 'get_person', params: { name: 'Eve' } };
    expect((await post('/read', { ...eve, branch: 'feat' })).body.row_count).toBe(1);
    expect((await post('/read', eve)).body.row_count).toBe(0);
    const bad = await post('/ingest', { data: '{"type": "Nope", "data": {}}\n', branch: 'other' });
    expect(bad.status).toBe(400);
    expect((await get('/branches')).body.branches).not.toContain('other');
  });

  it('branches: list, create (409 when it exists), delete (404 when missing)', async () => {
    const created = await post('/branches', { name: 'b1' });
    expect(valid(S.BranchCreateOutputSchema, created.body)).toMatchObject({
      name: 'b1',
      from: 'main',
    });
    const again = await post('/branches', { name: 'b1' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect(valid(S.BranchListSchema, (await get('/branches')).body).branches).toContain('b1');
    const del = await call(srv.url, 'DELETE', '/branches/b1');
    expect(valid(S.BranchDeleteOutputSchema, del.body).name).toBe('b1');
    expect((await call(srv.url, 'DELETE', '/branches/b1')).status).toBe(404);
    expect((await post('/branches', { name: 'b2', from: 'nope' })).status).toBe(404);
  });

  it('merge brings a branch into main; schema apply is refused with 409 while another branch lives', async () => {
    const eve = { query_source: TEST_GQ, query_name: 'get_person', params: { name: 'Eve' } };
    const merge = await post('/branches/merge', { source: 'feat', target: 'main' });
    expect(merge.status).toBe(200);
    expect(valid(S.BranchMergeOutputSchema, merge.body)).toMatchObject({
      source: 'feat',
      target: 'main',
      outcome: 'fast_forward',
    });
    expect((await post('/read', eve)).body.row_count).toBe(1);
    const again = await post('/branches/merge', { source: 'feat', target: 'main' });
    expect(again.body.outcome).toBe('already_up_to_date');
    expect((await post('/branches/merge', { source: 'nope' })).status).toBe(404);
    // The schema is repo-wide: refused while the merged branch still exists.
    const apply = await post('/schema/apply', { schema_source: 'node A { x: String }' });
    expect(apply.status).toBe(409);
    expect(apply.body.lancelog_code).toBe('SchemaApplyBlocked');
    expect((await post('/branches/merge', {})).status).toBe(400);
  });

  it('commits: list by branch, one by id, 404 for an unknown id', async () => {
    const list = valid(S.CommitListSchema, (await get('/commits?branch=main')).body);
    expect(list.commits.length).toBeGreaterThanOrEqual(3);
    expect(list.commits.every((c) => c.manifest_branch === 'main')).toBe(true);
    const missing = await get('/commits/01NOPE');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
  });
});

describe('Lancelog endpoints, limits and unknown routes', () => {
  it('GET /journal filters events; /operations/{op_id}; /recovery', async () => {
    const commit = (await get('/commits?branch=main')).body.commits[0];
    const op = (await get(`/journal?kind=op.published&limit=1000`)).body.events.at(-1);
    expect(op.kind).toBe('op.published');
    const events = (await get(`/journal?op_id=${op.opId}`)).body.events as Array<{ kind: string }>;
    expect(events[0].kind).toBe('op.begun');
    expect(events.at(-1)!.kind).toBe('op.completed');
    const one = await get(`/operations/${op.opId}`);
    expect(one.body.operation).toMatchObject({ opId: op.opId });
    expect((await get('/operations/01NOPE')).status).toBe(404);
    expect((await get('/journal?kind=nope')).status).toBe(400);
    const rec = valid(S.RecoveryOutputSchema, (await get('/recovery')).body);
    expect(rec.pending).toEqual([]);
    expect(commit.graph_commit_id).toBeTruthy();
  });

  it('413 over the body limit: 1 MiB by default, 32 MiB for /ingest', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const r = await post('/read', { query_source: big });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('bad_request');
    // One record padded to 2 MiB is under the ingest limit.
    const data = `{"type": "Person", "data": {"name": "Pad", "age": 1}}${' '.repeat(2 << 20)}\n`;
    const ok = await post('/ingest', { data, branch: 'main' });
    expect({ status: ok.status, body: ok.body }).toMatchObject({ status: 200 });
    const over = await post('/ingest', { data: ' '.repeat(33 << 20) });
    expect(over.status).toBe(413);
  });

  it('an unknown route is 404 with the error shape', async () => {
    const r = await get('/nope');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
  });
});
