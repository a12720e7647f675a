/**
 * The policy guards what is read, not the name in the request: every route that takes
 * a ref × {allowed, denied} × {branch, commit, version}, against a real `lancelog
 * serve` (a child process) with tokens and a Cedar policy.
 *
 * The repo: `pub` forked from main at commit M1; main then got a secret row (commit
 * M2). Rita may read only unprotected branches, so she may read M1 (pub's history has
 * it) and never M2 (only main's has it), however the request names it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo, type Snapshot } from '../../src/index.js';
import { readAtOf } from '../../src/server/access.js';
import { allRoutes } from '../../src/server/index.js';
import type { RouteDef } from '../../src/server/route.js';
import {
  call,
  makeFixtureRepo,
  MUTATIONS_GQ,
  spawnServer,
  TEST_GQ,
  type ApiResponse,
  type ChildServer,
} from '../helpers/server.js';

const TOKENS = { rita: 'rita-token-0123456789', ada: 'ada-token-0123456789ab' };
const POLICY = `
version: 1
groups:
  readers: [rita]
  admins: [ada]
protected_branches: [main]
rules:
  - id: readers-data
    allow: { actors: { group: readers }, actions: [read, export, change, invoke_query], branch_scope: unprotected }
  - id: readers-branches
    allow: { actors: { group: readers }, actions: [branch_create, branch_merge], target_branch_scope: unprotected }
  - id: admins
    allow: { actors: { group: admins }, actions: [read, export, change, branch_create, branch_delete, branch_merge, admin] }
`;
const SECRET = 'Mallory';

let root: string;
let srv: ChildServer;
/** M1: main's head when pub forked (in pub's history); M2: main's head after the secret row. */
const refs = { m1: '', m2: '', mv1: 0, mv2: 0 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-read-access-'));
  const dir = await makeFixtureRepo(join(root, 'repo'));
  const repo = await Repo.open(dir);
  try {
    const before = repo.snapshot({ branch: 'main' });
    repo.createBranch('pub');
    repo.createBranch('rita-merge-target');
    await repo.change({
      source: MUTATIONS_GQ,
      file: 'm.gq',
      name: 'add_person',
      params: { name: SECRET, age: 40 },
    });
    const after = repo.snapshot({ branch: 'main' });
    Object.assign(refs, {
      m1: before.commitId,
      m2: after.commitId,
      mv1: before.manifestVersion,
      mv2: after.manifestVersion,
    });
  } finally {
    await repo.close();
  }
  const policy = join(root, 'policy.yaml');
  writeFileSync(policy, POLICY);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(root, 'queries'));
  writeFileSync(join(root, 'queries', 'test.gq'), TEST_GQ);
  srv = await spawnServer(dir, { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify(TOKENS) }, [
    '--policy',
    policy,
    '--queries',
    join(root, 'queries'),
  ]);
}, 120_000);

afterAll(async () => {
  srv.child.kill('SIGTERM');
  await srv.exited;
  rmSync(root, { recursive: true, force: true });
});

type Form = 'branch' | 'commit' | 'version';
type Verdict = 'allowed' | 'denied';

/** The ref of each form: what Rita may read (allowed) and what she may not (denied). */
function ref(form: Form, verdict: Verdict): string {
  if (form === 'branch') return verdict === 'allowed' ? 'pub' : 'main';
  if (form === 'commit') return verdict === 'allowed' ? refs.m1 : refs.m2;
  return `main@${verdict === 'allowed' ? refs.mv1 : refs.mv2}`;
}

let n = 0;
const fresh = (what: string): string => `${what}-${++n}`;
const ada = (method: string, path: string, body?: unknown) =>
  call(srv.url, method, path, { token: TOKENS.ada, ...(body !== undefined ? { body } : {}) });
const branchExists = async (name: string): Promise<boolean> =>
  ((await ada('GET', '/branches')).body.branches as string[]).includes(name);

interface Case {
  /** Rita's request; `check` looks at an allowed answer (and at what a denied one left). */
  send(r: string): Promise<ApiResponse>;
  check(res: ApiResponse, verdict: Verdict): Promise<void>;
}

const asRita = (method: string, path: string, body?: unknown) =>
  call(srv.url, method, path, { token: TOKENS.rita, ...(body !== undefined ? { body } : {}) });

const ROUTES: Record<string, { forms: Form[]; make: () => Case }> = {
  'POST /read (snapshot)': {
    forms: ['commit', 'version'],
    make: () => ({
      send: (r) =>
        asRita('POST', '/read', {
          query_source: TEST_GQ,
          query_name: 'get_person',
          params: { name: SECRET },
          branch: 'pub',
          snapshot: r,
        }),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.row_count).toBe(0);
        return Promise.resolve();
      },
    }),
  },
  'POST /read (branch)': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) =>
        asRita('POST', '/read', {
          query_source: TEST_GQ,
          query_name: 'get_person',
          params: { name: SECRET },
          branch: r,
        }),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.row_count).toBe(0);
        return Promise.resolve();
      },
    }),
  },
  'POST /export': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) => asRita('POST', '/export', { branch: r }),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(String(res.body)).toContain('"Alice"');
          expect(String(res.body)).not.toContain(SECRET);
          expect(res.headers.get('x-lancelog-commit-id')).toBe(refs.m1);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /snapshot': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) => asRita('GET', `/snapshot?branch=${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          const person = (res.body.tables as Array<{ table_key: string; row_count: number }>).find(
            (t) => t.table_key === 'node:Person',
          );
          expect(person?.row_count).toBe(4);
        }
        return Promise.resolve();
      },
    }),
  },
  'POST /branches (from)': {
    forms: ['branch', 'commit', 'version'],
    make: () => {
      const name = fresh('copy');
      return {
        send: (r) => asRita('POST', '/branches', { name, from: r }),
        check: async (_res, verdict) => {
          expect(await branchExists(name)).toBe(verdict === 'allowed');
          if (verdict === 'allowed') {
            const read = await ada('POST', '/read', {
              query_source: TEST_GQ,
              query_name: 'get_person',
              params: { name: SECRET },
              branch: name,
            });
            expect(read.body.row_count).toBe(0);
          }
        },
      };
    },
  },
  'POST /query (snapshot)': {
    forms: ['commit', 'version'],
    make: () => ({
      send: (r) =>
        asRita('POST', '/query', {
          query: TEST_GQ,
          name: 'get_person',
          params: { name: SECRET },
          snapshot: r,
        }),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.row_count).toBe(0);
        return Promise.resolve();
      },
    }),
  },
  'POST /query (branch)': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) =>
        asRita('POST', '/query', {
          query: TEST_GQ,
          name: 'get_person',
          params: { name: SECRET },
          branch: r,
        }),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.row_count).toBe(0);
        return Promise.resolve();
      },
    }),
  },
  'POST /load/ndjson (from)': {
    forms: ['branch', 'commit', 'version'],
    make: () => {
      const name = fresh('ndjson');
      return {
        send: async (r) => {
          const res = await fetch(
            `${srv.url}/load/ndjson?${new URLSearchParams({ branch: name, from: r }).toString()}`,
            {
              method: 'POST',
              headers: {
                authorization: `Bearer ${TOKENS.rita}`,
                'content-type': 'application/x-ndjson',
              },
              body: '{"type": "Person", "data": {"name": "Ivy", "age": 3}}\n',
            },
          );
          return { status: res.status, body: await res.json(), headers: res.headers };
        },
        check: async (_res, verdict) => {
          expect(await branchExists(name)).toBe(verdict === 'allowed');
          if (verdict === 'allowed') {
            const read = await ada('POST', '/read', {
              query_source: TEST_GQ,
              query_name: 'get_person',
              params: { name: SECRET },
              branch: name,
            });
            expect(read.body.row_count).toBe(0);
          }
        },
      };
    },
  },
  'POST /ingest (from)': {
    forms: ['branch', 'commit', 'version'],
    make: () => {
      const name = fresh('ingest');
      return {
        send: (r) =>
          asRita('POST', '/ingest', {
            branch: name,
            from: r,
            data: '{"type": "Person", "data": {"name": "Ivy", "age": 3}}\n',
          }),
        check: async (_res, verdict) => {
          expect(await branchExists(name)).toBe(verdict === 'allowed');
          if (verdict === 'allowed') {
            const read = await ada('POST', '/read', {
              query_source: TEST_GQ,
              query_name: 'get_person',
              params: { name: SECRET },
              branch: name,
            });
            expect(read.body.row_count).toBe(0);
          }
        },
      };
    },
  },
  'POST /branches/merge (source)': {
    forms: ['branch'],
    make: () => ({
      send: (r) => asRita('POST', '/branches/merge', { source: r, target: 'rita-merge-target' }),
      check: async () => {
        const read = await ada('POST', '/read', {
          query_source: TEST_GQ,
          query_name: 'get_person',
          params: { name: SECRET },
          branch: 'rita-merge-target',
        });
        expect(read.body.row_count).toBe(0);
      },
    }),
  },
  'GET /commits?branch': {
    forms: ['branch'],
    make: () => ({
      send: (r) => asRita('GET', `/commits?branch=${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          const ids = (res.body.commits as Array<{ graph_commit_id: string }>).map(
            (c) => c.graph_commit_id,
          );
          expect(ids).toContain(refs.m1);
          expect(ids).not.toContain(refs.m2);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /commits/{commit_id}': {
    forms: ['commit'],
    make: () => ({
      send: (r) => asRita('GET', `/commits/${r}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.graph_commit_id).toBe(refs.m1);
        return Promise.resolve();
      },
    }),
  },
  'GET /commits/{commit_id}/changes': {
    forms: ['commit'],
    make: () => ({
      send: (r) => asRita('GET', `/commits/${r}/changes`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(res.body.cause.graph_commit_id).toBe(refs.m1);
          expect(JSON.stringify(res.body)).not.toContain(SECRET);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /changes?branch': {
    forms: ['branch'],
    make: () => ({
      send: (r) =>
        asRita('GET', `/changes?branch=${encodeURIComponent(r)}&start=beginning&limit=1000`),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(JSON.stringify(res.body)).not.toContain(SECRET);
        return Promise.resolve();
      },
    }),
  },
  'GET /changes/stream?branch': {
    forms: ['branch'],
    make: () => ({
      // The stream never ends by itself: its status and first bytes, then the connection is closed.
      send: async (r) => {
        const stop = new AbortController();
        const res = await fetch(
          `${srv.url}/changes/stream?branch=${encodeURIComponent(r)}&start=beginning`,
          { headers: { authorization: `Bearer ${TOKENS.rita}` }, signal: stop.signal },
        );
        let body: unknown;
        if (res.status === 200) {
          const first = await res.body!.getReader().read();
          body = new TextDecoder().decode(first.value);
        } else body = await res.json();
        stop.abort();
        return { status: res.status, body, headers: res.headers };
      },
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(String(res.body)).not.toContain(SECRET);
        return Promise.resolve();
      },
    }),
  },
  'POST /changes/baseline': {
    forms: ['branch'],
    make: () => ({
      send: (r) => asRita('POST', '/changes/baseline', { branch: r }),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(String(res.body)).toContain('"baseline"');
          expect(String(res.body)).not.toContain(SECRET);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /graph/neighbours?branch': {
    forms: ['branch'],
    make: () => ({
      send: (r) =>
        asRita('GET', `/graph/neighbours?type=Person&id=Alice&branch=${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(res.body.node).toMatchObject({ type: 'Person', id: 'Alice' });
          expect(JSON.stringify(res.body)).not.toContain(SECRET);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /branches/{branch}': {
    forms: ['branch'],
    make: () => ({
      send: (r) => asRita('GET', `/branches/${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body).toMatchObject({ name: 'pub' });
        return Promise.resolve();
      },
    }),
  },
  'GET /indexes?branch': {
    forms: ['branch'],
    make: () => ({
      send: (r) => asRita('GET', `/indexes?branch=${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.branch).toBe('pub');
        return Promise.resolve();
      },
    }),
  },
  'GET /commits/{commit_id}/summary': {
    forms: ['commit'],
    make: () => ({
      send: (r) => asRita('GET', `/commits/${r}/summary`),
      check: (res, verdict) => {
        if (verdict === 'allowed') expect(res.body.graph_commit_id).toBe(refs.m1);
        return Promise.resolve();
      },
    }),
  },
  'GET /diff (from)': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) => asRita('GET', `/diff?from=${encodeURIComponent(r)}&to=pub`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(res.body.from.graph_commit_id).toBe(refs.m1);
          expect(JSON.stringify(res.body)).not.toContain(SECRET);
        }
        return Promise.resolve();
      },
    }),
  },
  'GET /diff (to)': {
    forms: ['branch', 'commit', 'version'],
    make: () => ({
      send: (r) => asRita('GET', `/diff?from=pub&to=${encodeURIComponent(r)}`),
      check: (res, verdict) => {
        if (verdict === 'allowed') {
          expect(res.body.to.graph_commit_id).toBe(refs.m1);
          expect(JSON.stringify(res.body)).not.toContain(SECRET);
        }
        return Promise.resolve();
      },
    }),
  },
};

const CASES = Object.entries(ROUTES).flatMap(([route, { forms }]) =>
  forms.flatMap((form) =>
    (['allowed', 'denied'] as const).map((verdict) => [route, form, verdict] as const),
  ),
);

describe('policy × what is read: every route that takes a ref', () => {
  it.each(CASES)('%s × %s × %s', async (route, form, verdict) => {
    const c = ROUTES[route].make();
    const res = await c.send(ref(form, verdict));
    if (verdict === 'denied') {
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 403,
        code: 'forbidden',
      });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
      expect(res.body.details).toMatchObject({ actor: 'rita' });
    } else {
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    }
    await c.check(res, verdict);
  });

  it('an admin reads every form of main (the rule denies by history, not by name alone)', async () => {
    for (const form of ['branch', 'commit', 'version'] as const) {
      const res = await ada('POST', '/read', {
        query_source: TEST_GQ,
        query_name: 'get_person',
        params: { name: SECRET },
        branch: ref(form, 'denied'),
      });
      expect({ form, status: res.status, rows: res.body.row_count }).toEqual({
        form,
        status: 200,
        rows: 1,
      });
    }
  });

  it('GET /commits without a branch lists only commits a branch the actor may read has', async () => {
    const ids = async (res: Promise<ApiResponse>) =>
      ((await res).body.commits as Array<{ graph_commit_id: string }>).map(
        (c) => c.graph_commit_id,
      );
    const rita = await ids(asRita('GET', '/commits'));
    expect(rita).toContain(refs.m1);
    expect(rita).not.toContain(refs.m2);
    expect(await ids(ada('GET', '/commits'))).toContain(refs.m2);
  });

  it('an unknown ref is a 404 for everyone; the denial is logged as a policy decision', async () => {
    for (const token of [TOKENS.rita, TOKENS.ada]) {
      const res = await call(srv.url, 'POST', '/export', { token, body: { branch: 'nope' } });
      expect(res.status).toBe(404);
    }
    expect((await asRita('POST', '/export', { branch: refs.m2 })).status).toBe(403);
    const denial = async () =>
      srv
        .output()
        .split('\n')
        .filter((l) => l.includes('"policy decision"') && l.includes('"export"'))
        .map((l) => JSON.parse(l) as { policy: Record<string, unknown> })
        .find((d) => d.policy.actor === 'rita' && d.policy.ref === refs.m2);
    // The child's log reaches us asynchronously.
    await expect.poll(denial).toBeDefined();
    expect((await denial())?.policy).toMatchObject({
      actor: 'rita',
      action: 'export',
      commit: refs.m2,
      decision: 'deny',
    });
  });
});

/** Routes whose ref inputs name what is written, not what is read (their own action guards them). */
const WRITE_TARGETS: Record<string, string> = {
  'POST /mutate': 'branch: the branch changed (action change)',
  'GET /queries': 'branch: where invoke_query is asked; it answers the catalog, no data',
  'GET /blob':
    'branch, snapshot: read through authorizeRead; the matrix needs a Blob column (test/server/blob.test.ts)',
  'POST /change': 'branch: the branch changed (action change)',
  'POST /mutate/if-graph-commit': 'branch: the branch changed (action change)',
  'DELETE /branches/{branch}': 'branch: the branch deleted (action branch_delete)',
  'GET /journal': 'branch: a filter of the journal (action admin)',
  'GET /operations': 'branch: a filter of the journal (action admin)',
};
const REF_FIELD = /^(branch|from|to|snapshot|source|commit_id)$/;

describe('no route that takes a ref is left out of the matrix', () => {
  const fields = (def: RouteDef): string[] =>
    [def.body, def.query, def.params].flatMap((s) =>
      Object.keys((s as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}),
    );
  const inMatrix = new Set(Object.keys(ROUTES).map((k) => k.split(/ \(|\?/)[0]));
  it.each(
    allRoutes()
      .filter((r) => fields(r).some((f) => REF_FIELD.test(f)))
      .map((r) => [`${r.method} ${r.path}`] as const),
  )('%s is in the matrix or names only what it writes', (name) => {
    expect(inMatrix.has(name) || name in WRITE_TARGETS, name).toBe(true);
  });
});

describe('stored queries: invoke_query and read follow the commit; a denial is a 404', () => {
  const FORMS = ['branch', 'commit', 'version'] as const;
  it.each(FORMS.flatMap((f) => (['allowed', 'denied'] as const).map((v) => [f, v] as const)))(
    'POST /queries/{name} × %s × %s',
    async (form, verdict) => {
      const res = await asRita('POST', '/queries/get_person', {
        params: { name: SECRET },
        ...(form === 'branch' ? { branch: ref(form, verdict) } : { snapshot: ref(form, verdict) }),
      });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
      if (verdict === 'allowed')
        expect({ s: res.status, n: res.body.row_count }).toEqual({ s: 200, n: 0 });
      // Not invocable at that commit: the same answer as an unknown name.
      else
        expect({ s: res.status, c: res.body.lancelog_code }).toEqual({
          s: 404,
          c: 'StoredQueryNotFound',
        });
    },
  );
});

describe('what a handler reads after the check', () => {
  const snap = (branch: string): Snapshot => ({
    branch,
    manifestVersion: 3,
    commitId: '01JCOMMIT000000000000000000',
    timeUs: 0,
    pins: [],
  });
  it('the branch only when the ref named its head and that branch allowed it; else the exact commit', () => {
    const commit = { commit: '01JCOMMIT000000000000000000' };
    expect(readAtOf({ ...snap('pub'), allowedBy: 'pub' }, 'pub')).toEqual({ branch: 'pub' });
    expect(readAtOf({ ...snap('pub'), allowedBy: null }, 'pub')).toEqual({ branch: 'pub' });
    // Allowed through another branch's history: a head that moves on must not be read.
    expect(readAtOf({ ...snap('main'), allowedBy: 'pub' }, 'main')).toEqual(commit);
    expect(readAtOf({ ...snap('main'), allowedBy: 'main' }, 'main@3')).toEqual(commit);
    expect(readAtOf({ ...snap('main'), allowedBy: 'main' }, commit.commit)).toEqual(commit);
  });
});
