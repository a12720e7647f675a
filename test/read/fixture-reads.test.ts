/**
 * Every read query of the fixtures executes (issue 13 "Done when"): the Omnigraph
 * test fixtures and both public cookbook starters, each schema loaded with its data,
 * each read run through `repo.query` with plausible parameters taken from the data
 * (a parameter compared with a property gets a value that property has). Text search
 * and ranking run (issue 14), `nearest` with a String query too: the repo embeds it at
 * query time with the deterministic mock provider (the client `@embed` fills vectors with).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Repo,
  createEmbeddingClient,
  compileQuery,
  loadJsonl,
  parseQueries,
  type Catalog,
  type ParamInfo,
  type ReadPlan,
} from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { useTmpDirs } from '../helpers/tmp.js';

interface Suite {
  name: string;
  schema: string;
  data: string;
  queries: string[];
}

const OMNI = join(FIXTURES_DIR, 'omnigraph');
const SUITES: Suite[] = [
  ...['test', 'search'].map((n) => ({
    name: `omnigraph/${n}`,
    schema: join(OMNI, `${n}.pg`),
    data: join(OMNI, `${n}.jsonl`),
    queries: [join(OMNI, `${n}.gq`)],
  })),
  ...['industry-intel', 'pharma-intel'].map((n) => {
    const dir = join(FIXTURES_DIR, 'cookbooks', n);
    return {
      name: `cookbooks/${n}`,
      schema: join(dir, 'schema.pg'),
      data: join(dir, 'seed.jsonl'),
      queries: readdirSync(join(dir, 'queries'))
        .filter((f) => f.endsWith('.gq'))
        .sort()
        .map((f) => join(dir, 'queries', f)),
    };
  }),
];

/** Walks any JSON-like value, calling `fn` on every object. */
function walk(v: unknown, fn: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) for (const x of v) walk(x, fn);
  else if (v !== null && typeof v === 'object') {
    fn(v as Record<string, unknown>);
    for (const x of Object.values(v)) walk(x, fn);
  }
}

/** Property values per node type, from the JSONL data. */
function valuesByTypeProp(data: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const line of readFileSync(data, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const rec = JSON.parse(line) as { type?: string; data?: Record<string, unknown> };
    if (!rec.type || !rec.data) continue;
    for (const [k, v] of Object.entries(rec.data)) {
      if (v === null) continue;
      const key = `${rec.type}.${k}`;
      out.set(key, [...(out.get(key) ?? []), v]);
    }
  }
  return out;
}

function defaultFor(p: ParamInfo): unknown {
  const t = p.type;
  if (t.kind === 'vector') return Array.from({ length: t.dim }, () => 0.1);
  if (t.kind === 'list') return [];
  switch (t.name) {
    case 'String':
      return 'x';
    case 'Bool':
      return true;
    case 'Date':
      return '2025-01-01';
    case 'DateTime':
      return '2025-01-01T00:00:00Z';
    case 'F32':
    case 'F64':
      return 0.5;
    case 'Blob':
      return 'AA==';
    default:
      return 1;
  }
}

/** Parameters: for one compared with `$v.prop`, a value `prop` has in the data; else a default. */
export function plausibleParams(
  plan: ReadPlan,
  values: Map<string, unknown[]>,
): Record<string, unknown> {
  const typeOf = new Map<string, string>();
  walk(plan.ops, (o) => {
    if (o.op === 'scan') typeOf.set(o.var as string, o.nodeType as string);
    if (o.op === 'expand') typeOf.set(o.to as string, o.toType as string);
  });
  const found = new Map<string, unknown>();
  walk(plan.ops, (o) => {
    // A text query searching `$v.prop`: the first word of a value `prop` has.
    if (o.kind === 'call' && o.fn !== 'nearest' && o.fn !== 'rrf') {
      const [field, text] = o.args as Array<Record<string, unknown>>;
      const vs = values.get(`${typeOf.get(field.var as string)}.${field.prop as string}`);
      if (text.kind === 'param' && typeof vs?.[0] === 'string' && !found.has(text.name as string))
        found.set(text.name as string, vs[0].split(/\s+/)[0]);
      return;
    }
    if (o.kind !== 'compare') return;
    const [l, r] = [o.left, o.right] as Array<Record<string, unknown>>;
    for (const [a, b] of [
      [l, r],
      [r, l],
    ])
      if (a.kind === 'prop' && b.kind === 'param' && !found.has(b.name as string)) {
        const vs = values.get(`${typeOf.get(a.var as string)}.${a.prop as string}`);
        if (vs?.length) found.set(b.name as string, vs[0]);
      }
  });
  const out: Record<string, unknown> = {};
  for (const p of plan.params) {
    const v = found.get(p.name);
    const scalarOk =
      v !== undefined &&
      !(p.type.kind === 'list' && !Array.isArray(v)) &&
      !(p.type.kind === 'scalar' && Array.isArray(v));
    out[p.name] = scalarOk ? v : p.type.kind === 'list' && v !== undefined ? [v] : defaultFor(p);
  }
  return out;
}

async function loadSuite(dir: string, s: Suite): Promise<Repo> {
  await Repo.init(dir, { schemaSource: readFileSync(s.schema, 'utf8'), schemaFile: s.schema });
  const repo = await Repo.open(dir, { embeddings: createEmbeddingClient({ provider: 'mock' }) });
  await loadJsonl(repo.operationContext(), { path: s.data }, { mode: 'append' });
  return repo;
}

function readQueries(file: string, catalog: Catalog): Array<{ name: string; plan: ReadPlan }> {
  const source = readFileSync(file, 'utf8');
  return parseQueries(source, file)
    .queries.filter((q) => q.body.kind === 'read')
    .map((q) => ({ name: q.name, plan: compileQuery(source, file, catalog, q.name) as ReadPlan }));
}

describe('every fixture read query executes', () => {
  const tmp = useTmpDirs();

  for (const suite of SUITES) {
    it(
      suite.name,
      async () => {
        const dir = tmp();
        const repo = await loadSuite(dir, suite);
        const values = valuesByTypeProp(suite.data);
        let ran = 0;
        let nonEmpty = 0;
        const answers: Array<{ q: Parameters<Repo['query']>[0]; rows: unknown }> = [];
        try {
          for (const file of suite.queries) {
            const source = readFileSync(file, 'utf8');
            for (const { name, plan } of readQueries(file, repo.catalog)) {
              const params = plausibleParams(plan, values);
              const where = `${file} ${name} ${JSON.stringify(params)}`;
              let out;
              try {
                out = await repo.query({ source, file, name, params });
              } catch (err) {
                throw new Error(`${where}: ${String(err)}`);
              }
              expect(out.query, where).toBe(name);
              expect(
                out.columns.map((c) => c.name),
                where,
              ).toEqual(plan.columns.map((c) => c.name));
              for (const row of out.rows)
                expect(Object.keys(row), where).toEqual(plan.columns.map((c) => c.name));
              ran++;
              if (out.rows.length > 0) nonEmpty++;
              answers.push({ q: { source, file, name, params }, rows: out.rows });
            }
          }
          await repo.ensureIndexes();
        } finally {
          await repo.close();
        }
        // The same answers from a repo whose graph indexes come from their files.
        const fromDisk = await Repo.open(dir, {
          embeddings: createEmbeddingClient({ provider: 'mock' }),
        });
        try {
          for (const a of answers)
            expect((await fromDisk.query(a.q)).rows, `${a.q.file} ${a.q.name}`).toEqual(a.rows);
        } finally {
          await fromDisk.close();
        }
        // Every read of the suite was tried; the parameters are plausible: most reads find something.
        expect(ran).toBeGreaterThan(0);
        if (ran > 0)
          expect(nonEmpty / ran, `${nonEmpty} of ${ran} reads returned rows`).toBeGreaterThan(0.5);
        console.log(`${suite.name}: ${ran} reads ran (${nonEmpty} with rows)`);
      },
      600_000,
    );
  }
});
