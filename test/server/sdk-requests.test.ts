/**
 * The reference SDK's calls against a real `lancelog serve` on 127.0.0.1.
 *
 * The SDK (`@modernrelay/omnigraph` 0.3.0, public repository ModernRelay/omnigraph-ts)
 * is not published on npm, so it cannot be a devDependency. This test issues exactly
 * the requests its generated client builds (read from `packages/sdk/src/generated/`
 * there: `sdk.gen.ts` for each operation's method and URL, `client/` and `core/` for
 * how a request is assembled), written here independently:
 *   - URL: base URL + the operation's path, `{param}` replaced by
 *     `encodeURIComponent(value)`; query parameters `name=encodeURIComponent(value)`
 *     joined by `&`, null and undefined ones left out;
 *   - headers: `Authorization: Bearer <token>` (what `createOmnigraphClient({token})`
 *     sets), `Content-Type: application/json` only on operations with a body, and only
 *     when a body is given;
 *   - body: `JSON.stringify` with bigints as strings; optional fields may be `null`
 *     (the SDK's request types allow it);
 *   - a WHATWG `Request` sent with `fetch`, `redirect: 'follow'`;
 *   - the answer read by its Content-Type: `application/json` as JSON (an empty body as
 *     `{}`), other `application/*` (the NDJSON export) as a Blob; a non-2xx answer as
 *     JSON when it parses, else text, returned as `error`.
 * The calls below are every operation of the SDK but the `/runs` ones (a feature the
 * reference engine removed), with the SDK's own names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiSchemas as S } from '../../src/server/index.js';
import {
  makeFixtureRepo,
  MUTATIONS_GQ,
  serveRepo,
  TEST_GQ,
  type TestServer,
} from '../helpers/server.js';

const TOKEN = 'sdk-token-0123456789abcdef';

type Method = 'GET' | 'POST' | 'DELETE';
/** The SDK's operations: name → method, URL template, whether it sends a JSON body. */
const OPERATIONS = {
  health: { method: 'GET', url: '/healthz', json: false },
  getSnapshot: { method: 'GET', url: '/snapshot', json: false },
  read: { method: 'POST', url: '/read', json: true },
  export_: { method: 'POST', url: '/export', json: true },
  change: { method: 'POST', url: '/change', json: true },
  getSchema: { method: 'GET', url: '/schema', json: false },
  applySchema: { method: 'POST', url: '/schema/apply', json: true },
  ingest: { method: 'POST', url: '/ingest', json: true },
  listBranches: { method: 'GET', url: '/branches', json: false },
  createBranch: { method: 'POST', url: '/branches', json: true },
  deleteBranch: { method: 'DELETE', url: '/branches/{branch}', json: false },
  mergeBranches: { method: 'POST', url: '/branches/merge', json: true },
  listCommits: { method: 'GET', url: '/commits', json: false },
  getCommit: { method: 'GET', url: '/commits/{commit_id}', json: false },
} as const satisfies Record<string, { method: Method; url: string; json: boolean }>;
type Operation = keyof typeof OPERATIONS;

interface CallOptions {
  path?: Record<string, string>;
  query?: Record<string, string | null | undefined>;
  body?: unknown;
}

interface SdkResult {
  data?: any;
  error?: any;
  response: Response;
  request: Request;
}

/** One SDK call, assembled the way the SDK's client assembles it. */
async function sdk(base: string, op: Operation, opts: CallOptions = {}): Promise<SdkResult> {
  const spec = OPERATIONS[op];
  let url = base + spec.url;
  for (const [name, value] of Object.entries(opts.path ?? {}))
    url = url.replace(`{${name}}`, encodeURIComponent(value));
  const search = Object.entries(opts.query ?? {})
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join('&');
  if (search) url += `?${search}`;
  const headers = new Headers({ Authorization: `Bearer ${TOKEN}` });
  let body: string | undefined;
  if (spec.json && opts.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.body, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
  }
  const request = new Request(url, { method: spec.method, headers, body, redirect: 'follow' });
  const response = await fetch(request.clone());
  if (!response.ok) {
    const text = await response.text();
    let error: unknown = text;
    try {
      error = JSON.parse(text);
    } catch {
      /* text */
    }
    return { error, response, request };
  }
  const type = (response.headers.get('Content-Type') ?? '').split(';')[0].trim();
  if (type.startsWith('application/json') || type.endsWith('+json')) {
    const text = await response.text();
    return { data: text ? JSON.parse(text) : {}, response, request };
  }
  return { data: await response.blob(), response, request };
}

let dir: string;
let srv: TestServer;
const call = (op: Operation, opts?: CallOptions) => sdk(srv.url, op, opts);

beforeAll(async () => {
  dir = await makeFixtureRepo(mkdtempSync(join(tmpdir(), 'lancelog-sdk-')));
  srv = await serveRepo(dir, {
    env: { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ sdk: TOKEN }) },
  });
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the reference SDK requests against lancelog serve', () => {
  it('the requests are what the SDK sends: method, URL encoding, headers', async () => {
    const del = await call('deleteBranch', { path: { branch: 'feature/x y' } });
    expect(del.request.method).toBe('DELETE');
    expect(del.request.url).toBe(`${srv.url}/branches/feature%2Fx%20y`);
    expect(del.request.headers.get('content-type')).toBeNull();
    const snap = await call('getSnapshot', { query: { branch: 'main' } });
    expect(snap.request.url).toBe(`${srv.url}/snapshot?branch=main`);
    expect(snap.request.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    const read = await call('read', { body: { query_source: TEST_GQ, query_name: 'adults' } });
    expect(read.request.headers.get('content-type')).toBe('application/json');
  });

  it('health, getSnapshot, getSchema, listBranches', async () => {
    const health = await call('health');
    expect(S.HealthSchema.parse(health.data).status).toBe('ok');
    const snap = await call('getSnapshot', { query: { branch: null } });
    expect(S.SnapshotSchema.parse(snap.data).branch).toBe('main');
    expect((await call('getSnapshot', { query: { branch: 'nope' } })).error).toMatchObject({
      code: 'not_found',
    });
    const schema = await call('getSchema');
    expect(S.SchemaOutputSchema.parse(schema.data).schema_source).toContain('node Person');
    expect(S.BranchListSchema.parse((await call('listBranches')).data).branches).toEqual(['main']);
  });

  it('read and change, with the optional fields null as the SDK types allow', async () => {
    const read = await call('read', {
      body: {
        query_source: TEST_GQ,
        query_name: 'friends_of',
        params: { name: 'Alice' },
        branch: null,
        snapshot: null,
      },
    });
    expect(S.ReadOutputSchema.parse(read.data).row_count).toBe(2);
    const change = await call('change', {
      body: {
        query_source: MUTATIONS_GQ,
        query_name: 'add_person',
        params: { name: 'Sdk', age: 3 },
        branch: null,
      },
    });
    expect(S.ChangeOutputSchema.parse(change.data)).toMatchObject({
      affected_nodes: 1,
      actor_id: 'sdk',
    });
    const bad = await call('read', { body: { query_source: TEST_GQ, query_name: 'nope' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ code: 'bad_request' });
  });

  it('export_ answers NDJSON, which the SDK reads as a Blob', async () => {
    const out = await call('export_', { body: { type_names: ['Person'], branch: null } });
    expect(out.data).toBeInstanceOf(Blob);
    const lines = (await (out.data as Blob).text()).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type as string)).toEqual(lines.map(() => 'Person'));
    expect(lines.length).toBeGreaterThanOrEqual(5);
  });

  it('ingest, createBranch, mergeBranches, deleteBranch (a name with a slash)', async () => {
    const ingest = await call('ingest', {
      body: {
        data: '{"type": "Person", "data": {"name": "Ivy", "age": 9}}\n',
        branch: 'feature/ivy',
        from: 'main',
        mode: null,
      },
    });
    expect(S.IngestOutputSchema.parse(ingest.data)).toMatchObject({ branch_created: true });
    const created = await call('createBranch', { body: { name: 'feature/other', from: null } });
    expect(S.BranchCreateOutputSchema.parse(created.data).name).toBe('feature/other');
    const merged = await call('mergeBranches', { body: { source: 'feature/ivy', target: null } });
    expect(S.BranchMergeOutputSchema.parse(merged.data)).toMatchObject({
      target: 'main',
      outcome: 'fast_forward',
    });
    for (const branch of ['feature/ivy', 'feature/other']) {
      const del = await call('deleteBranch', { path: { branch } });
      expect(S.BranchDeleteOutputSchema.parse(del.data).name).toBe(branch);
    }
    expect((await call('deleteBranch', { path: { branch: 'feature/ivy' } })).error).toMatchObject({
      code: 'not_found',
    });
  });

  it('listCommits and getCommit', async () => {
    const list = S.CommitListSchema.parse(
      (await call('listCommits', { query: { branch: 'main' } })).data,
    );
    const newest = list.commits[0];
    const one = await call('getCommit', { path: { commit_id: newest.graph_commit_id } });
    expect(S.CommitSchema.parse(one.data)).toEqual(newest);
    expect((await call('getCommit', { path: { commit_id: '01NOPE' } })).error).toMatchObject({
      code: 'not_found',
    });
  });

  it('applySchema with the SDK body applies a new type (only main lives now)', async () => {
    const current = S.SchemaOutputSchema.parse((await call('getSchema')).data).schema_source;
    const r = await call('applySchema', {
      body: { schema_source: `${current}\nnode Extra {\n  x: String?\n}\n` },
    });
    expect({ status: r.response.status, error: r.error }).toEqual({
      status: 200,
      error: undefined,
    });
    expect(S.SchemaApplyOutputSchema.parse(r.data)).toMatchObject({
      supported: true,
      applied: true,
      uri: dir,
    });
  });

  it('without the token every call but health is a 401 in the error shape', async () => {
    const res = await fetch(`${srv.url}/branches`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'unauthorized' });
  });
});
