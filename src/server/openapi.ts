/**
 * /openapi.json, generated from the routes' zod schemas (the ones the handlers
 * parse with) by zod's own JSON Schema converter. Schemas with a `meta({id})` become
 * `components.schemas` entries, referenced from the paths.
 */
import { z } from 'zod';
import { lancelogVersion } from '../index.js';
import { ErrorSchema } from './api-schemas.js';
import type { RouteDef } from './route.js';

type Json = Record<string, unknown>;

const ERROR_STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: malformed JSON, unknown query, bad parameters (code bad_request)',
  401: 'Missing or wrong bearer token (code unauthorized)',
  403: 'The policy denies the request (code forbidden)',
  404: 'No such branch, commit or operation (code not_found)',
  409: 'Conflict: another write moved the branch (manifest_conflict) or the merge conflicts (merge_conflicts)',
  413: 'The body exceeds the limit (1 MiB; 32 MiB for /ingest and /load/ndjson)',
  416: 'The byte range is outside the cell (Content-Range: bytes */size)',
  500: 'Internal error (code internal)',
};

/** zod schemas with an id, as JSON Schemas, keyed by id, with refs between them. */
function components(): Record<string, Json> {
  const all = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    io: 'output',
  }) as { schemas: Record<string, Json> };
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(all.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

function schemaRef(schema: z.ZodType, io: 'input' | 'output'): Json {
  const id = z.globalRegistry.get(schema)?.id;
  if (id !== undefined) return { $ref: `#/components/schemas/${id}` };
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io,
  }) as Json;
  return rest;
}

function parametersOf(def: RouteDef, where: 'query' | 'path'): Json[] {
  const schema = where === 'query' ? def.query : def.params;
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const BYTES = { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };
const BLOB_HEADERS = {
  ETag: { schema: { type: 'string' }, description: 'Strong: "sha256-<hex of the bytes>"' },
  'Accept-Ranges': { schema: { type: 'string' }, description: 'bytes' },
};
const BINARY_RESPONSES: Json = {
  200: { description: 'The whole cell', headers: BLOB_HEADERS, content: BYTES },
  206: {
    description: 'One byte range (Content-Range: bytes a-b/size)',
    headers: { ...BLOB_HEADERS, 'Content-Range': { schema: { type: 'string' } } },
    content: BYTES,
  },
  304: { description: 'If-None-Match matched the ETag', headers: BLOB_HEADERS },
};

const GRAPH_ID_PARAM: Json = {
  name: 'graph_id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'A graph this server serves (GET /graphs); `default` for the repo of `serve REPO`',
};

function operationOf(def: RouteDef, prefixed = false): Json {
  const responses: Json =
    def.response === 'binary'
      ? { ...BINARY_RESPONSES }
      : {
          200:
            def.response === 'ndjson'
              ? {
                  description: 'JSONL in the load format, one record per line, streamed',
                  content: { 'application/x-ndjson': { schema: { type: 'string' } } },
                }
              : {
                  description: 'OK',
                  content: { 'application/json': { schema: schemaRef(def.response, 'output') } },
                },
        };
  const statuses = def.auth === false ? [] : [400, 401, 403, ...def.errors];
  if (def.bodyLimitBytes !== undefined || def.body) statuses.push(413);
  for (const status of [...new Set(statuses)].sort())
    responses[status] = {
      description: ERROR_STATUS_TEXT[status] ?? 'Error',
      content: { 'application/json': { schema: schemaRef(ErrorSchema, 'output') } },
    };
  const op: Json = {
    tags: [def.tag],
    summary: def.summary,
    operationId: prefixed ? `graph_${def.operationId}` : def.operationId,
    parameters: [
      ...(prefixed ? [GRAPH_ID_PARAM] : []),
      ...parametersOf(def, 'path'),
      ...parametersOf(def, 'query'),
    ],
    responses,
  };
  if (def.body)
    op.requestBody = {
      required: true,
      content: {
        [def.bodyMediaType ?? 'application/json']: { schema: schemaRef(def.body, 'input') },
      },
    };
  if (def.successor !== undefined) op.deprecated = true;
  if (def.auth !== false) op.security = [{ bearer_token: [] }];
  return op;
}

/** The OpenAPI 3.1 document of the given routes. */
export function openApiDocument(routes: RouteDef[]): Json {
  const paths: Record<string, Json> = {};
  for (const def of routes) (paths[def.path] ??= {})[def.method.toLowerCase()] = operationOf(def);
  // Every graph route again under its graph: the current API of several graphs per server.
  for (const def of routes)
    if (def.scope !== 'server')
      (paths[`/graphs/{graph_id}${def.path}`] ??= {})[def.method.toLowerCase()] = operationOf(
        def,
        true,
      );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lancelog API',
      description:
        'HTTP API of lancelog serve: the Omnigraph API 0.3.0 (its paths, request and response fields) at the single-graph paths, the current API of several graphs at /graphs/{graph_id}/… (GET /graphs, /query, /mutate, /load/ndjson, stored queries), plus Lancelog’s journal, operation and recovery endpoints',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      version: lancelogVersion(),
    },
    paths,
    components: {
      schemas: components(),
      securitySchemes: { bearer_token: { type: 'http', scheme: 'bearer' } },
    },
  };
}
