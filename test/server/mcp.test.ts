/**
 * `lancelog mcp` in a child process, driven by the official MCP SDK's own client over stdio:
 * the exposed stored queries of a real `lancelog serve` (or of a local repo) as tools —
 * list them, call a read, call a mutation, and see a policy denial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
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
  everyone: [alice, bob, carol]
  agents: [alice, bob]
  writers: [alice]
rules:
  - id: read
    allow: { actors: { group: everyone }, actions: [read] }
  - id: agents
    allow: { actors: { group: agents }, actions: [invoke_query] }
  - id: writers
    allow: { actors: { group: writers }, actions: [change] }
`;
const QUERIES = `
query person($name: String) @description("One person by name") @instruction("Give the exact name") @expose {
  match { $p: Person { name: $name } }
  return { $p.name, $p.age }
}
query set_age($name: String, $age: I32?) @description("Set a person's age") @expose {
  update Person set { age: $age } where name = $name
}
query everyone() {
  match { $p: Person }
  return { $p.name }
}
`;

let root: string;
let server: TestServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-mcp-'));
  await makeFixtureRepo(join(root, 'people'));
  await makeFixtureRepo(join(root, 'local'));
  writeFileSync(join(root, 'people.gq'), QUERIES);
  writeFileSync(join(root, 'policy.yaml'), POLICY);
  const { mkdirSync, copyFileSync } = await import('node:fs');
  mkdirSync(join(root, 'queries'));
  copyFileSync(join(root, 'people.gq'), join(root, 'queries', 'people.gq'));
  server = await serveRepo('', {
    repo: undefined,
    graphs: { people: join(root, 'people') },
    queriesDir: join(root, 'queries'),
    policyFile: join(root, 'policy.yaml'),
    env: { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify(TOKENS) },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** `lancelog mcp ARGS` as the SDK client starts a stdio server. */
async function connect(args: string[], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'mcp', ...args],
    cwd: ROOT,
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'lancelog-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function payload(result: Awaited<ReturnType<Client['callTool']>>): any {
  const content = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(content[0].text);
}

describe('lancelog mcp --server', () => {
  it('lists the exposed stored queries as typed tools; calls a read and a mutation', async () => {
    const client = await connect(['--server', server.url, '--graph', 'people'], {
      LANCELOG_TOKEN: TOKENS.alice,
    });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['person', 'set_age']);
      const person = tools.find((t) => t.name === 'person')!;
      expect(person.description).toBe('One person by name\n\nGive the exact name');
      expect(person.inputSchema).toMatchObject({
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
      });
      expect(person.annotations).toMatchObject({ readOnlyHint: true });
      const setAge = tools.find((t) => t.name === 'set_age')!;
      expect(setAge.inputSchema.required).toEqual(['name']);
      expect(setAge.inputSchema.properties).toMatchObject({ age: { type: 'integer' } });

      const read = await client.callTool({ name: 'person', arguments: { name: 'Alice' } });
      expect(read.isError).toBeFalsy();
      expect(payload(read).rows).toEqual([{ 'p.name': 'Alice', 'p.age': 30 }]);

      const write = await client.callTool({
        name: 'set_age',
        arguments: { name: 'Alice', age: 44 },
      });
      expect(write.isError).toBeFalsy();
      expect(payload(write)).toMatchObject({ affected_nodes: 1, actor_id: 'alice' });
      const after = await call(server.url, 'POST', '/graphs/people/query', {
        token: TOKENS.alice,
        body: { query: QUERIES, name: 'person', params: { name: 'Alice' } },
      });
      expect(after.body.rows).toEqual([{ 'p.name': 'Alice', 'p.age': 44 }]);

      // Not exposed: not a tool, and not callable by name.
      const hidden = await client.callTool({ name: 'everyone', arguments: {} });
      expect(hidden.isError).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('the policy: a denied change is the tool error; no invoke_query, no tools', async () => {
    const bob = await connect(['--server', server.url, '--graph', 'people'], {
      LANCELOG_TOKEN: TOKENS.bob,
    });
    try {
      const read = await bob.callTool({ name: 'person', arguments: { name: 'Bob' } });
      expect(read.isError).toBeFalsy();
      const write = await bob.callTool({ name: 'set_age', arguments: { name: 'Bob', age: 1 } });
      expect(write.isError).toBe(true);
      expect(payload(write)).toMatchObject({ status: 403, code: 'forbidden' });
    } finally {
      await bob.close();
    }
    const carol = await connect(['--server', server.url, '--graph', 'people'], {
      LANCELOG_TOKEN: TOKENS.carol,
    });
    try {
      expect((await carol.listTools()).tools).toEqual([]);
      const r = await carol.callTool({ name: 'person', arguments: { name: 'Alice' } });
      expect(r.isError).toBe(true);
      expect(payload(r)).toMatchObject({ code: 'StoredQueryNotFound' });
    } finally {
      await carol.close();
    }
    const unchanged = await call(server.url, 'POST', '/graphs/people/query', {
      token: TOKENS.alice,
      body: { query: QUERIES, name: 'person', params: { name: 'Bob' } },
    });
    expect(unchanged.body.rows).toEqual([{ 'p.name': 'Bob', 'p.age': 25 }]);
  }, 120_000);
});

describe('lancelog mcp --uri', () => {
  it('serves a local repo’s exposed queries; bad parameters are a tool error', async () => {
    const client = await connect([
      '--uri',
      join(root, 'local'),
      '--queries',
      join(root, 'queries'),
      '--actor',
      'agent',
    ]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['person', 'set_age']);
      const read = await client.callTool({ name: 'person', arguments: { name: 'Bob' } });
      expect(payload(read).rows).toEqual([{ 'p.name': 'Bob', 'p.age': 25 }]);
      const write = await client.callTool({ name: 'set_age', arguments: { name: 'Bob' } });
      expect(payload(write)).toMatchObject({ affected_nodes: 1, actor_id: 'agent' });
      const bad = await client.callTool({ name: 'person', arguments: { name: 7 } });
      expect(bad.isError).toBe(true);
      expect(payload(bad).code).toBe('bad_request');
    } finally {
      await client.close();
    }
  }, 120_000);
});
