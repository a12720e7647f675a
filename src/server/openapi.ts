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
  413: 'The body exceeds the limit (1 MiB; 32 MiB for /ingest)',
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

function operationOf(def: RouteDef): Json {
  const responses: Json = {
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
    operationId: def.operationId,
    parameters: [...parametersOf(def, 'path'), ...parametersOf(def, 'query')],
    responses,
  };
  if (def.body)
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: schemaRef(def.body, 'input') } },
    };
  if (def.auth !== false) op.security = [{ bearer_token: [] }];
  return op;
}

/** The OpenAPI 3.1 document of the given routes. */
export function openApiDocument(routes: RouteDef[]): Json {
  const paths: Record<string, Json> = {};
  for (const def of routes) (paths[def.path] ??= {})[def.method.toLowerCase()] = operationOf(def);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lancelog API',
      description:
        'HTTP API of lancelog serve: the Omnigraph API 0.3.0 (its paths, request and response fields) plus Lancelog’s journal, operation and recovery endpoints',
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
