import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRoutes, openApiDocument } from '../../src/server/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

type Json = Record<string, any>;
const reference = JSON.parse(
  readFileSync(join(FIXTURES_DIR, 'omnigraph-ts', 'openapi.json'), 'utf8'),
) as Json;
const ours = openApiDocument(allRoutes()) as Json;

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  if (schema?.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').pop()]);
  return schema;
}

/** The JSON types a schema admits ('any' for an unconstrained one). */
function types(doc: Json, schema: Json | undefined): string[] {
  const s = resolve(doc, schema);
  if (!s) return ['none'];
  if (s.anyOf || s.oneOf)
    return [...new Set<string>((s.anyOf ?? s.oneOf).flatMap((x: Json) => types(doc, x)))].sort();
  if (s.type === undefined) return s.enum ? ['string'] : ['any'];
  return (Array.isArray(s.type) ? s.type : [s.type]).slice().sort();
}

/** An object schema's properties as name → types, and its required names. */
function shape(doc: Json, schema: Json | undefined) {
  const s = resolve(doc, schema) ?? {};
  const props = Object.fromEntries(
    Object.entries((s.properties ?? {}) as Record<string, Json>).map(([k, v]) => [
      k,
      types(doc, v),
    ]),
  );
  return { props, required: [...((s.required as string[]) ?? [])].sort() };
}

/** Optional request fields of the reference's current API that 0.3.0 lacks (docs/server.md). */
const CURRENT_API_ADDITIONS = new Set(['delete_branch']);

const referenceOps = Object.entries(reference.paths as Record<string, Json>)
  .filter(([path]) => !path.startsWith('/runs'))
  .flatMap(([path, methods]) =>
    Object.entries(methods as Record<string, Json>).map(([method, op]) => ({ path, method, op })),
  );

describe('/openapi.json against the reference API (Omnigraph API 0.3.0, /runs excepted)', () => {
  it('has every reference path and method', () => {
    expect(referenceOps.length).toBe(14);
    const missing = referenceOps.filter(({ path, method }) => !ours.paths[path]?.[method]);
    expect(missing.map((m) => `${m.method} ${m.path}`)).toEqual([]);
  });

  it.each(referenceOps.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    '%s: operation id, parameters, request and response fields and types',
    (_name, { path, method, op }) => {
      const mine = ours.paths[path][method] as Json;
      expect(mine.operationId).toBe(op.operationId);
      const params = (o: Json) =>
        ((o.parameters ?? []) as Json[])
          .map((p) => `${p.in}:${p.name}:${p.required === true}`)
          .sort();
      expect(params(mine)).toEqual(params(op));
      const body = (doc: Json, o: Json) =>
        shape(doc, o.requestBody?.content?.['application/json']?.schema);
      // The request: the reference's fields exactly, plus only the optional fields the
      // reference's current API added since 0.3.0 (an old client never sends them).
      const mineBody = body(ours, mine);
      const extra = Object.keys(mineBody.props).filter((f) => !(f in body(reference, op).props));
      expect(extra.filter((f) => !CURRENT_API_ADDITIONS.has(f))).toEqual([]);
      for (const f of extra) delete mineBody.props[f];
      expect(mineBody).toEqual(body(reference, op));
      // Responses: every reference status; the 200 has every reference field, typed alike
      // and required alike (Lancelog may add optional fields).
      expect(Object.keys(mine.responses)).toEqual(
        expect.arrayContaining(Object.keys(op.responses)),
      );
      const ok = (doc: Json, o: Json) => {
        const content = o.responses['200'].content as Json;
        const [type, media] = Object.entries(content)[0];
        return { type, ...shape(doc, (media as Json).schema) };
      };
      const theirs = ok(reference, op);
      const mineOk = ok(ours, mine);
      expect(mineOk.type).toBe(theirs.type);
      expect(mineOk.required).toEqual(theirs.required);
      for (const [field, t] of Object.entries(theirs.props))
        expect({ field, types: mineOk.props[field] }).toEqual({ field, types: t });
      expect(mine.security ?? null).toEqual(op.security ?? null);
    },
  );

  it('the error shape: {error, code} with the reference error codes', () => {
    const err = (doc: Json) => shape(doc, { $ref: '#/components/schemas/ErrorOutput' });
    expect(err(ours).required).toEqual(err(reference).required);
    for (const field of ['error', 'code', 'merge_conflicts'])
      expect(err(ours).props[field]).toEqual(err(reference).props[field]);
    expect(ours.components.schemas.ErrorCode.enum).toEqual(
      reference.components.schemas.ErrorCode.enum,
    );
  });

  it('merge and schema apply answer no 501: the server always has both', () => {
    for (const path of ['/branches/merge', '/schema/apply'])
      expect(Object.keys(ours.paths[path].post.responses), path).not.toContain('501');
  });

  it('documents Lancelog’s own endpoints in the same document', () => {
    expect(ours.paths['/journal'].get.operationId).toBe('listJournalEvents');
    expect(ours.paths['/operations/{op_id}'].get.parameters[0]).toMatchObject({
      name: 'op_id',
      in: 'path',
      required: true,
    });
    expect(ours.paths['/recovery'].get.security).toEqual([{ bearer_token: [] }]);
  });
});
