/**
 * `lancelog queries list | validate` (offline) and `lancelog serve --graph NAME=URI
 * --queries DIR` through the real CLI in child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { makeFixtureRepo, spawnServer } from '../helpers/server.js';

const GOOD = `
query person($name: String) @description("One person") @expose {
  match { $p: Person { name: $name } }
  return { $p.name }
}
query set_age($name: String, $age: I32?) {
  update Person set { age: $age } where name = $name
}
`;
const BROKEN = `query ok() { match { $p: Person } return { $p.name } }

query broken($n: String) {
  match { $p: Person { nickname: $n } }
  return { $p.name }
}
`;

let root: string;
let repo: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-queries-cli-'));
  repo = await makeFixtureRepo(join(root, 'repo'));
  mkdirSync(join(root, 'good', 'people'), { recursive: true });
  writeFileSync(join(root, 'good', 'people.gq'), GOOD);
  writeFileSync(
    join(root, 'good', 'people', 'extra.gq'),
    'query everyone() { match { $p: Person } return { $p.name } }\n',
  );
  mkdirSync(join(root, 'bad'));
  writeFileSync(join(root, 'bad', 'broken.gq'), BROKEN);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lancelog queries', () => {
  it('list: each query with kind, typed params, annotations and graph folder', async () => {
    const r = await runCli(['queries', 'list', join(root, 'good'), '--json']);
    expect(r.code).toBe(0);
    const queries = r.json().queries as Array<Record<string, unknown>>;
    // Directory order: the folder `people/` sorts before `people.gq`.
    expect(queries.map((q) => q.name)).toEqual(['everyone', 'person', 'set_age']);
    expect(queries[1]).toMatchObject({
      kind: 'read',
      description: 'One person',
      expose: true,
      graph_id: null,
      params: [{ name: 'name', type: 'String', nullable: false }],
    });
    expect(queries[2]).toMatchObject({
      kind: 'mutation',
      params: [
        { name: 'name', type: 'String', nullable: false },
        { name: 'age', type: 'I32', nullable: true },
      ],
    });
    expect(queries[0]).toMatchObject({ file: join('people', 'extra.gq'), graph_id: 'people' });
  });

  it('validate: ok against the repo; a broken query names file, line and reason', async () => {
    const ok = await runCli(['queries', 'validate', join(root, 'good'), '--uri', repo]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok \(2 stored queries/);
    const withGraph = await runCli([
      'queries',
      'validate',
      join(root, 'good'),
      '--uri',
      repo,
      '--graph',
      'people',
      '--json',
    ]);
    expect(withGraph.json().queries).toHaveLength(3);
    const bad = await runCli(['queries', 'validate', join(root, 'bad'), '--uri', repo]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/StoredQueryInvalid/);
    expect(bad.stderr).toMatch(/broken\.gq:4:\d+ \(broken\)/);
    expect(bad.stderr).toMatch(/nickname/);
  });

  it('validate needs exactly one schema source', async () => {
    const r = await runCli(['queries', 'validate', join(root, 'good')]);
    expect(r.code).toBe(2);
  });
});

describe('lancelog serve --graph --queries', () => {
  it('refuses to start with a broken stored query (file and line), changing nothing', async () => {
    const r = await runCli([
      'serve',
      '--graph',
      `people=${repo}`,
      '--queries',
      join(root, 'bad'),
      '--port',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(/StoredQueryInvalid[\s\S]*broken\.gq:4/);
  });

  it('serves the graph named on the command line with its stored queries', async () => {
    const server = await spawnServer(`--graph=people=${repo}`, {}, [
      '--queries',
      join(root, 'good'),
    ]);
    try {
      const list = (await (await fetch(`${server.url}/graphs`)).json()) as any;
      expect(list.graphs).toEqual([{ graph_id: 'people', uri: repo }]);
      const queries = (await (await fetch(`${server.url}/graphs/people/queries`)).json()) as any;
      expect(queries.queries.map((q: { name: string }) => q.name)).toEqual([
        'everyone',
        'person',
        'set_age',
      ]);
      const r = await fetch(`${server.url}/graphs/people/queries/person`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: { name: 'Alice' } }),
      });
      expect(((await r.json()) as any).rows).toEqual([{ 'p.name': 'Alice' }]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
