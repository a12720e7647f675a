/**
 * Authentication (bearer tokens) × policy (Cedar) over real HTTP: token missing,
 * wrong or right × action × protected/unprotected branch; every decision logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokens, actorForToken, PolicyEngine, parsePolicy } from '../../src/server/index.js';
import {
  call,
  makeFixtureRepo,
  MUTATIONS_GQ,
  serveRepo,
  TEST_GQ,
  type TestServer,
} from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';

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
protected_branches: [main]
rules:
  - id: team-read
    allow: { actors: { group: team }, actions: [read, export], branch_scope: any }
  - id: team-write
    allow: { actors: { group: team }, actions: [change], branch_scope: unprotected }
  - id: admins-write-protected
    allow: { actors: { group: admins }, actions: [change], branch_scope: protected }
  - id: team-branches
    allow: { actors: { group: team }, actions: [branch_create, branch_delete], target_branch_scope: unprotected }
  - id: admins-admin
    allow: { actors: { group: admins }, actions: [admin] }
`;

let root: string;
let policyFile: string;
let srv: TestServer;
let n = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-auth-'));
  policyFile = join(root, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const dir = await makeFixtureRepo(join(root, 'repo'));
  srv = await serveRepo(dir, {
    policyFile,
    env: { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify(TOKENS) },
  });
  await call(srv.url, 'POST', '/branches', { body: { name: 'feat' }, token: TOKENS.alice });
});
afterAll(async () => {
  await srv.close();
  rmSync(root, { recursive: true, force: true });
});

type Who = 'none' | 'wrong' | keyof typeof TOKENS;
const tokenOf = (who: Who): string | undefined =>
  who === 'none' ? undefined : who === 'wrong' ? 'not-a-token-0123456789' : TOKENS[who];

const REQUESTS = {
  'read main': () => ({
    method: 'POST',
    path: '/read',
    body: { query_source: TEST_GQ, query_name: 'adults' },
  }),
  'change main': () => ({
    method: 'POST',
    path: '/change',
    body: {
      query_source: MUTATIONS_GQ,
      query_name: 'add_person',
      params: { name: `m${n++}`, age: 1 },
    },
  }),
  'change feat': () => ({
    method: 'POST',
    path: '/change',
    body: {
      query_source: MUTATIONS_GQ,
      query_name: 'add_person',
      params: { name: `f${n++}`, age: 1 },
      branch: 'feat',
    },
  }),
  'create branch': () => ({ method: 'POST', path: '/branches', body: { name: `x${n++}` } }),
  journal: () => ({ method: 'GET', path: '/journal?limit=1', body: undefined }),
  'read feat': () => ({
    method: 'POST',
    path: '/read',
    body: { query_source: TEST_GQ, query_name: 'adults', branch: 'feat' },
  }),
  'export main': () => ({ method: 'POST', path: '/export', body: { type_names: ['Company'] } }),
  // An unprotected branch that does not exist: allowed callers get the 404, denied ones the 403.
  'delete unprotected': () => ({ method: 'DELETE', path: '/branches/gone', body: undefined }),
  'delete main': () => ({ method: 'DELETE', path: '/branches/main', body: undefined }),
  // No rule grants branch_merge or schema_apply: default deny, whoever asks.
  'merge into main': () => ({
    method: 'POST',
    path: '/branches/merge',
    body: { source: 'feat', target: 'main' },
  }),
  'schema apply': () => ({
    method: 'POST',
    path: '/schema/apply',
    body: { schema_source: 'node A { x: String }' },
  }),
} as const;

// Expected status per request and caller.
const MATRIX: Record<keyof typeof REQUESTS, Record<Who, number>> = {
  'read main': { none: 401, wrong: 401, alice: 200, bob: 200, carol: 403 },
  'change main': { none: 401, wrong: 401, alice: 200, bob: 403, carol: 403 },
  'change feat': { none: 401, wrong: 401, alice: 200, bob: 200, carol: 403 },
  'create branch': { none: 401, wrong: 401, alice: 200, bob: 200, carol: 403 },
  journal: { none: 401, wrong: 401, alice: 200, bob: 403, carol: 403 },
  'read feat': { none: 401, wrong: 401, alice: 200, bob: 200, carol: 403 },
  'export main': { none: 401, wrong: 401, alice: 200, bob: 200, carol: 403 },
  'delete unprotected': { none: 401, wrong: 401, alice: 404, bob: 404, carol: 403 },
  'delete main': { none: 401, wrong: 401, alice: 403, bob: 403, carol: 403 },
  'merge into main': { none: 401, wrong: 401, alice: 403, bob: 403, carol: 403 },
  'schema apply': { none: 401, wrong: 401, alice: 403, bob: 403, carol: 403 },
};

describe('auth × policy matrix', () => {
  it.each(Object.keys(MATRIX) as Array<keyof typeof REQUESTS>)('%s', async (name) => {
    const got: Record<string, number> = {};
    for (const who of Object.keys(MATRIX[name]) as Who[]) {
      const req = REQUESTS[name]();
      const r = await call(srv.url, req.method, req.path, { body: req.body, token: tokenOf(who) });
      got[who] = r.status;
      if (r.status === 401) expect(r.body.code).toBe('unauthorized');
      if (r.status === 403) expect(r.body.code).toBe('forbidden');
    }
    expect(got).toEqual(MATRIX[name]);
  });

  it('records the actor on commits and logs every decision with its rule', async () => {
    const r = await call(srv.url, 'POST', '/change', {
      body: {
        query_source: MUTATIONS_GQ,
        query_name: 'add_person',
        params: { name: 'Zed', age: 1 },
        branch: 'feat',
      },
      token: TOKENS.bob,
    });
    expect(r.body.actor_id).toBe('bob');
    const commit = await call(srv.url, 'GET', `/commits/${r.body.graph_commit_id}`, {
      token: TOKENS.bob,
    });
    expect(commit.body.actor_id).toBe('bob');
    const decisions = srv.logs.flatMap((l) =>
      l.policy ? [l.policy as Record<string, unknown>] : [],
    );
    expect(decisions).toContainEqual(
      expect.objectContaining({
        actor: 'bob',
        action: 'change',
        branch: 'feat',
        decision: 'allow',
        rule: 'team-write',
      }),
    );
    expect(decisions).toContainEqual(
      expect.objectContaining({
        actor: 'bob',
        action: 'change',
        branch: 'main',
        decision: 'deny',
        rule: null,
      }),
    );
    // A token never reaches the logs.
    expect(JSON.stringify(srv.logs)).not.toContain(TOKENS.bob);
  });

  it('/healthz and /openapi.json need no token', async () => {
    expect((await call(srv.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(srv.url, 'GET', '/openapi.json')).status).toBe(200);
  });
});

describe('tokens and policy files', () => {
  it('tokens from the JSON, the file and the single variable; hashed; bad input is a typed error', () => {
    const file = join(root, 'tokens.json');
    writeFileSync(file, JSON.stringify({ ops: 'ops-token-0123456789' }));
    const tokens = loadTokens({
      LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ alice: TOKENS.alice }),
      LANCELOG_SERVER_TOKENS_FILE: file,
      LANCELOG_SERVER_TOKEN: 'single-token-0123456789',
    });
    expect(tokens.map((t) => t.actor).sort()).toEqual(['alice', 'default', 'ops']);
    expect(JSON.stringify(tokens)).not.toContain(TOKENS.alice);
    expect(actorForToken(tokens, 'ops-token-0123456789')).toBe('ops');
    expect(actorForToken(tokens, 'ops-token-012345678')).toBeNull();
    expect(() => loadTokens({ LANCELOG_SERVER_TOKENS_JSON: '{bad' })).toThrow(/not JSON/);
    expect(() => loadTokens({ LANCELOG_SERVER_TOKENS_JSON: '{"a": "short"}' })).toThrow(
      /16 characters/,
    );
    expect(() =>
      loadTokens({
        LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ a: TOKENS.alice, b: TOKENS.alice }),
      }),
    ).toThrow(/same token/);
    expect(() => loadTokens({ LANCELOG_SERVER_TOKENS_FILE: join(root, 'missing.json') })).toThrow(
      /cannot read/,
    );
  });

  it('policy errors name the file and the rule', () => {
    const bad = (text: string) => () => parsePolicy(text, 'p.yaml');
    expect(bad('version: 2\n')).toThrow(/p\.yaml: version/);
    expect(
      bad(`${POLICY}  - id: team-read\n    allow: { actors: { group: team }, actions: [read] }\n`),
    ).toThrow(/duplicate rule id 'team-read'/);
    expect(
      bad(
        'version: 1\ngroups: { a: [x] }\nrules:\n  - id: r\n    allow: { actors: { group: b }, actions: [read] }\n',
      ),
    ).toThrow(/unknown group 'b'/);
    expect(
      bad(
        'version: 1\ngroups: { a: [x] }\nrules:\n  - id: r\n    allow: { actors: { group: a }, actions: [admin], branch_scope: any }\n',
      ),
    ).toThrow(/branch_scope does not apply to action 'admin'/);
    expect(
      bad('version: 1\nrules: [{ id: r, allow: { actors: { group: a }, actions: [fly] } }]\n'),
    ).toThrow(/rules\.0\.allow\.actions\.0/);
    // An unknown actor and an action no rule names are denied (default deny).
    const engine = new PolicyEngine(parsePolicy(POLICY, 'p.yaml'), 'p.yaml');
    expect(engine.authorize({ actor: 'mallory', action: 'read', branch: 'main' }).allowed).toBe(
      false,
    );
    expect(
      engine.authorize({ actor: 'alice', action: 'branch_merge', targetBranch: 'feat' }).allowed,
    ).toBe(false);
    expect(engine.authorize({ actor: 'alice', action: 'change', branch: 'main' })).toMatchObject({
      allowed: true,
      rule: 'admins-write-protected',
    });
  });

  it('lancelog policy validate | test | explain', async () => {
    const tests = join(root, 'policy.tests.yaml');
    writeFileSync(
      tests,
      `version: 1
cases:
  - { id: bob-reads-main, actor: bob, action: read, branch: main, expect: allow }
  - { id: bob-writes-main, actor: bob, action: change, branch: main, expect: allow }
`,
    );
    const validate = await runCli(['policy', 'validate', policyFile, '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json().cedar).toContain('permit (');
    const test = await runCli(['policy', 'test', policyFile, '--tests', tests, '--json']);
    expect(test.code).toBe(1);
    expect(test.json().failures).toEqual([
      expect.objectContaining({ id: 'bob-writes-main', expected: 'allow', got: 'deny' }),
    ]);
    const explain = await runCli([
      'policy',
      'explain',
      policyFile,
      '--actor',
      'alice',
      '--action',
      'change',
      '--branch',
      'main',
      '--json',
    ]);
    expect(explain.json()).toMatchObject({ decision: 'allow', rule: 'admins-write-protected' });
    const invalid = await runCli([
      'policy',
      'explain',
      policyFile,
      '--actor',
      'a',
      '--action',
      'fly',
    ]);
    expect(invalid.code).toBe(2);
  });
});
