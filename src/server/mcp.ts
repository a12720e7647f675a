/**
 * `lancelog mcp`: an MCP server on stdio (the official `@modelcontextprotocol/sdk`) that
 * offers the stored queries marked `@expose` as typed tools. The queries come from a
 * running `lancelog serve` (`GET /queries`, invoked by `POST /queries/{name}` with the
 * caller's token, under the server's policy) or from a local repo and a queries
 * directory (run in this process through the public API as one actor).
 * Stdout is the protocol's channel: nothing else may be written to it.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_BRANCH, lancelogVersion, Repo } from '../index.js';
import { HttpError, toErrorResponse } from './errors.js';
import { runChange, runRead } from './routes-data.js';
import { catalogEntry } from './routes-stored-queries.js';
import {
  readQueryDir,
  storedQueriesFor,
  type ParamDescriptor,
  type ParamKind,
} from './stored-queries.js';

type CatalogEntry = ReturnType<typeof catalogEntry>;

/** Where the tools come from and how they run. */
export interface ToolSource {
  catalog(): Promise<CatalogEntry[]>;
  /** The query's answer (JSON), or a thrown error. */
  invoke(name: string, params: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const KIND_SCHEMAS: Record<ParamKind, Record<string, unknown>> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  int: { type: 'integer' },
  // 64-bit integers beyond 2^53 travel as decimal strings.
  bigint: { type: ['integer', 'string'], pattern: '^-?[0-9]+$' },
  float: { type: 'number' },
  date: { type: 'string', format: 'date' },
  datetime: { type: 'string', format: 'date-time' },
  blob: { type: 'string', contentEncoding: 'base64' },
  vector: { type: 'array', items: { type: 'number' } },
  list: { type: 'array' },
};

/** The JSON Schema of one parameter. */
export function paramSchema(p: ParamDescriptor): Record<string, unknown> {
  const s: Record<string, unknown> = { ...KIND_SCHEMAS[p.kind], description: p.type };
  if (p.kind === 'vector' && p.vector_dim !== null) {
    s.minItems = p.vector_dim;
    s.maxItems = p.vector_dim;
  }
  if (p.kind === 'list' && p.item_kind !== null) s.items = KIND_SCHEMAS[p.item_kind];
  return s;
}

/** One exposed stored query as an MCP tool: its parameters as the input schema. */
export function toolOf(q: CatalogEntry): Tool {
  return {
    name: q.tool_name,
    description: [q.description, q.instruction].filter((t) => t !== null).join('\n\n') || q.name,
    inputSchema: {
      type: 'object',
      properties: Object.fromEntries(q.params.map((p) => [p.name, paramSchema(p)])),
      required: q.params.filter((p) => !p.nullable).map((p) => p.name),
      additionalProperties: false,
    },
    annotations: { readOnlyHint: !q.mutation, destructiveHint: q.mutation },
  };
}

function textResult(value: unknown, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], isError };
}

/** The MCP server over a tool source (connected by the caller: stdio, or a test's transport). */
export function mcpServer(source: ToolSource): Server {
  const server = new Server(
    { name: 'lancelog', version: lancelogVersion() },
    { capabilities: { tools: {} } },
  );
  const exposed = async () => (await source.catalog()).filter((q) => q.expose);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await exposed()).map(toolOf),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const name = req.params.name;
    if (!(await exposed()).some((q) => q.tool_name === name))
      return textResult({ code: 'StoredQueryNotFound', error: `no tool '${name}'` }, true);
    try {
      return textResult(await source.invoke(name, req.params.arguments ?? {}));
    } catch (err) {
      // A refusal (policy, bad parameters, conflicts) is the tool's answer, not a crash.
      const { body } = err instanceof RemoteError ? err : toErrorResponse(err);
      return textResult(body, true);
    }
  });
  return server;
}

/** A non-2xx answer of a remote server, with its `{error, code, lancelog_code}` body. */
class RemoteError extends Error {
  constructor(readonly body: Record<string, unknown>) {
    super(String(body.error));
  }
}

/** The tools of a running `lancelog serve` (one graph, or its single-graph routes). */
export function remoteSource(args: { url: string; graphId?: string; token?: string }): ToolSource {
  const base = `${args.url.replace(/\/+$/, '')}${args.graphId !== undefined ? `/graphs/${encodeURIComponent(args.graphId)}` : ''}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (args.token) headers.authorization = `Bearer ${args.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (!res.ok) throw new RemoteError({ status: res.status, ...parsed });
    return parsed;
  };
  return {
    catalog: async () => (await call('GET', '/queries')).queries as CatalogEntry[],
    invoke: (name, params) => call('POST', `/queries/${encodeURIComponent(name)}`, { params }),
    close: () => Promise.resolve(),
  };
}

/** The tools of a local repo and queries directory, run in this process as `actor`. */
export async function localSource(args: {
  repo: string;
  queriesDir: string;
  actor: string;
}): Promise<ToolSource> {
  const files = readQueryDir(args.queriesDir);
  const repo = await Repo.open(args.repo);
  try {
    const set = storedQueriesFor(files, repo.catalog, null);
    return {
      catalog: () => Promise.resolve(set.list().map(catalogEntry)),
      invoke: async (name, params) => {
        const q = set.get(name);
        if (!q) throw new HttpError('StoredQueryNotFound', `no stored query '${name}'`, { name });
        if (q.kind === 'read')
          return runRead(
            repo,
            { ...repo.resolveRef(DEFAULT_BRANCH), allowedBy: null },
            DEFAULT_BRANCH,
            {
              source: q.source,
              file: q.file,
              name,
              params,
            },
          );
        return runChange(
          repo,
          { query_source: q.source, query_name: name, params },
          args.actor,
          undefined,
          q.file,
        );
      },
      close: () => repo.close(),
    };
  } catch (err) {
    await repo.close();
    throw err;
  }
}

/** Serves the tools on stdin/stdout until the client closes the stream. */
export async function serveMcpStdio(source: ToolSource): Promise<void> {
  const server = mcpServer(source);
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  // The client closing its end of stdin ends the session.
  process.stdin.once('end', () => void server.close());
  await closed;
  await source.close();
}
