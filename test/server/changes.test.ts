/**
 * The change endpoints over real HTTP (src/server/routes-changes.ts): commit changes,
 * the feed with its cursor, typed 400/409/412 answers, the baseline's terminal record,
 * the conditional mutation route and its header, the policy's read/export actions, and
 * the live SSE stream delivering a commit published after it opened.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { call, serveRepo, type TestServer } from '../helpers/server.js';

const PG = 'node Person { name: String @key  age: I32? }\nedge Knows: Person -> Person\n';
const GQ = 'query add($name: String) { insert Person { name: $name } }\n';

let dir: string;
let server: TestServer;
let c1: string;
let c2: string;

let root: string;

beforeAll(async () => {
  // One repo for the whole file (the per-test temp dirs are removed after each test).
  root = mkdtempSync(join(tmpdir(), 'lancelog-changes-'));
  dir = join(root, 'repo');
  const repo = await makeRepo(dir, PG);
  c1 = (await repo.transaction((tx) => void tx.insert('Person', { name: 'ann', age: 1 })))
    .commitId!;
  c2 = (
    await repo.transaction(async (tx) => {
      await tx.update('Person', 'ann', { age: 2 });
      tx.insert('Person', { name: 'bob' });
      tx.link('Knows', 'ann', 'bob');
    })
  ).commitId!;
  await repo.close();
  const policy = join(root, 'policy.yaml');
  writeFileSync(
    policy,
    `version: 1
groups:
  team: [alice]
  readers: [rita]
rules:
  - id: team
    allow: { actors: { group: team }, actions: [read, export, change] }
  - id: readers
    allow: { actors: { group: readers }, actions: [read] }
`,
  );
  server = await serveRepo(dir, {
    policyFile: policy,
    env: {
      LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({
        alice: 'alice-token-1234567',
        rita: 'rita-token-12345678',
      }),
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

const alice = { token: 'alice-token-1234567' };
const rita = { token: 'rita-token-12345678' };

describe('change routes', () => {
  it('GET /commits/{id}/changes: the block, filters, pages and typed refusals', async () => {
    const r = await call(server.url, 'GET', `/commits/${c2}/changes`, alice);
    expect(r.status).toBe(200);
    expect(r.body.cause).toMatchObject({
      graph_commit_id: c2,
      parent_commit_id: c1,
      authored_branch: 'main',
      actor_id: 'lancelog',
    });
    expect(
      r.body.changes.map((c: { id: string; op: string; kind: string }) => [
        c.kind,
        c.id.length === 26 ? 'E' : c.id,
        c.op,
      ]),
    ).toEqual([
      ['node', 'ann', 'update'],
      ['node', 'bob', 'insert'],
      ['edge', 'E', 'insert'],
    ]);
    expect(r.body.changes[0].before.properties).toEqual({ name: 'ann', age: 1 });
    const page = await call(server.url, 'GET', `/commits/${c2}/changes?limit=1&kind=node`, alice);
    expect(page.body.changes).toHaveLength(1);
    const next = await call(
      server.url,
      'GET',
      `/commits/${c2}/changes?limit=1&kind=node&page_token=${page.body.next_page_token}`,
      alice,
    );
    expect(next.body.changes.map((c: { id: string }) => c.id)).toEqual(['bob']);
    expect(next.body.next_page_token).toBeNull();
    const unknownParam = await call(server.url, 'GET', `/commits/${c2}/changes?colour=red`, alice);
    expect(unknownParam.status).toBe(400);
    const genesis = (await call(server.url, 'GET', '/commits?branch=main', alice)).body.commits.at(
      -1,
    ).graph_commit_id;
    const refused = await call(server.url, 'GET', `/commits/${genesis}/changes`, alice);
    expect(refused.status).toBe(409);
    expect(refused.body.change_diff_refusal).toEqual({
      reason: 'parentless_commit',
      graph_commit_id: genesis,
    });
  });

  it('GET /changes: beginning, cursor, rejected cursor; the baseline streams its terminal record', async () => {
    const all = await call(server.url, 'GET', '/changes?start=beginning', rita);
    expect(all.status).toBe(200);
    expect(
      all.body.blocks.map((b: { cause: { graph_commit_id: string } }) => b.cause.graph_commit_id),
    ).toEqual([c1, c2]);
    expect(all.body.caught_up).toBe(true);
    const again = await call(server.url, 'GET', `/changes?cursor=${all.body.cursor}`, rita);
    expect(again.body.blocks).toEqual([]);
    const bad = await call(server.url, 'GET', '/changes?cursor=nope', rita);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^change cursor rejected: /);
    // The baseline needs export, which rita lacks.
    expect(
      (await call(server.url, 'POST', '/changes/baseline', { ...rita, body: {} })).status,
    ).toBe(403);
    const base = await call(server.url, 'POST', '/changes/baseline', {
      ...alice,
      body: { kind: ['node'] },
    });
    expect(base.status).toBe(200);
    const lines = String(base.body)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.slice(0, -1).map((l) => l.data.name)).toEqual(['ann', 'bob']);
    const terminal = lines.at(-1)!;
    expect(terminal.baseline.snapshot_commit_id).toBe(c2);
    const resumed = await call(
      server.url,
      'GET',
      `/changes?cursor=${terminal.baseline.resume_cursor}&kind=node`,
      alice,
    );
    expect(resumed.status).toBe(200);
    expect(resumed.body.blocks).toEqual([]);
  });

  it('POST /mutate/if-graph-commit: 412 precondition_failure on a moved head; /change refuses the header', async () => {
    const head = (await call(server.url, 'GET', '/commits?branch=main', alice)).body.commits[0]
      .graph_commit_id;
    const body = { query_source: GQ, params: { name: 'cid' } };
    const post = (id: string | undefined, path = '/mutate/if-graph-commit') =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.token}`,
          'content-type': 'application/json',
          ...(id !== undefined ? { 'omnigraph-if-graph-commit': id } : {}),
        },
        body: JSON.stringify(body),
      });
    const won = await post(head);
    expect(won.status).toBe(200);
    const out = (await won.json()) as { graph_commit_id: string };
    const lost = await post(head);
    expect(lost.status).toBe(412);
    expect(await lost.json()).toMatchObject({
      precondition_failure: { expected: head, actual: out.graph_commit_id },
    });
    expect((await post(undefined)).status).toBe(400);
    expect((await post('*')).status).toBe(400);
    expect((await post(out.graph_commit_id, '/change')).status).toBe(400);
  });

  it('GET /changes/stream delivers a commit published after it opened, with the cursor as its event id', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${server.url}/changes/stream`, {
      headers: { authorization: `Bearer ${alice.token}` },
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await read((t) => t.includes('event: cursor'));
    const writer = await Repo.open(dir);
    const made = (await writer.transaction((tx) => void tx.insert('Person', { name: 'live' })))
      .commitId!;
    await writer.close();
    await read((t) => t.includes(made) && t.split('event: cursor').length > 2);
    ctrl.abort();
    const block = text.split('\n').find((l) => l.startsWith('data: ') && l.includes(made))!;
    expect(JSON.parse(block.slice(6)).changes[0]).toMatchObject({ id: 'live', op: 'insert' });
    expect(text).toMatch(/^id: \S+$/m);
  });
});
