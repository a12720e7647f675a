/**
 * Stored queries (`serve --queries DIR`, `lancelog queries list|validate`, `lancelog mcp`):
 * `.gq` files read once, each query type-checked against a graph's schema, and kept as a
 * catalog by name. `DIR/*.gq` apply to every graph; `DIR/<graph_id>/*.gq` to that graph
 * only. A query that does not check refuses the whole catalog, naming the file, line and
 * reason: a server never starts with a query that would fail when invoked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  checkQueries,
  LancelogError,
  valueTypeText,
  type Catalog,
  type ParamInfo,
  type ParamType,
} from '../index.js';

/** A stored query that cannot be served (details: file, line, column, query, graph_id, reason). */
export class StoredQueryError extends LancelogError {}

/** The reference's parameter kinds. */
export type ParamKind =
  'string' | 'bool' | 'int' | 'bigint' | 'float' | 'date' | 'datetime' | 'blob' | 'vector' | 'list';

export interface ParamDescriptor {
  name: string;
  kind: ParamKind;
  /** Optional parameters (`$x: T?`) may be left out or null. */
  nullable: boolean;
  item_kind: ParamKind | null;
  vector_dim: number | null;
  /** Lancelog's addition: the declared type as written (`I64`, `[String]`, `Vector(3)`). */
  type: string;
}

export interface StoredQuery {
  name: string;
  /** The file, relative to the queries directory. */
  file: string;
  /** The whole file's source (a query may call nothing else, but is compiled with its file). */
  source: string;
  kind: 'read' | 'mutation';
  params: ParamDescriptor[];
  description: string | null;
  instruction: string | null;
  /** Marked `@expose`: offered as a tool by `lancelog mcp`. */
  expose: boolean;
  line: number;
}

export interface StoredQuerySet {
  list(): StoredQuery[];
  get(name: string): StoredQuery | undefined;
}

export interface QueryFileText {
  /** Relative to the queries directory (`people.gq`, `crm/leads.gq`). */
  file: string;
  source: string;
  /** The graph the file is for (a subdirectory), or null for every graph. */
  graphId: string | null;
}

/** Names a stored query may not take: `POST /queries/check` is the checker's route. */
const RESERVED_NAMES = new Set(['check']);

const SCALAR_KINDS: Record<string, ParamKind> = {
  String: 'string',
  Bool: 'bool',
  I32: 'int',
  U32: 'int',
  I64: 'bigint',
  U64: 'bigint',
  F32: 'float',
  F64: 'float',
  Date: 'date',
  DateTime: 'datetime',
  Blob: 'blob',
};

export function paramDescriptor(p: ParamInfo): ParamDescriptor {
  const t: ParamType = p.type;
  const base = { name: p.name, nullable: p.optional, type: valueTypeText(t) };
  if (t.kind === 'vector')
    return { ...base, kind: 'vector', item_kind: 'float', vector_dim: t.dim };
  if (t.kind === 'list')
    return { ...base, kind: 'list', item_kind: SCALAR_KINDS[t.element.name], vector_dim: null };
  return { ...base, kind: SCALAR_KINDS[t.name], item_kind: null, vector_dim: null };
}

/** Every `.gq` file of a queries directory: top level for every graph, one level of graph folders. */
export function readQueryDir(dir: string): QueryFileText[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new LancelogError('FileNotFound', `cannot read the queries directory ${dir}`, {
      file: dir,
      reason: (err as Error).message,
    });
  }
  const out: QueryFileText[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const inner of readdirSync(path).sort())
        if (inner.endsWith('.gq')) out.push(fileText(dir, join(path, inner), name));
    } else if (name.endsWith('.gq')) out.push(fileText(dir, path, null));
  }
  return out;
}

function fileText(dir: string, path: string, graphId: string | null): QueryFileText {
  return { file: relative(dir, path), source: readFileSync(path, 'utf8'), graphId };
}

function refuse(
  file: string,
  graphId: string | null,
  at: { line: number; column: number; query: string | null },
  reason: string,
): never {
  const where = `${file}:${at.line}:${at.column}`;
  throw new StoredQueryError(
    'StoredQueryInvalid',
    `stored query ${where}${at.query ? ` (${at.query})` : ''}${graphId ? ` for graph '${graphId}'` : ''}: ${reason}`,
    { file, line: at.line, column: at.column, query: at.query, graph_id: graphId, reason },
  );
}

/** Checks one file's queries against a catalog: its stored queries, or a StoredQueryError. */
function checkFile(f: QueryFileText, catalog: Catalog, graphId: string | null): StoredQuery[] {
  let checked;
  try {
    checked = checkQueries(f.source, f.file, catalog);
  } catch (err) {
    if (!(err instanceof LancelogError)) throw err;
    const d = err.details as { line?: number; column?: number; reason?: string };
    return refuse(
      f.file,
      graphId,
      { line: d.line ?? 1, column: d.column ?? 1, query: null },
      d.reason ?? err.message,
    );
  }
  return checked.map((c) => {
    const at = { line: c.decl.pos.line, column: c.decl.pos.column, query: c.name };
    if (c.error) {
      const d = c.error.details as { line?: number; column?: number; reason?: string };
      refuse(
        f.file,
        graphId,
        { ...at, line: d.line ?? at.line, column: d.column ?? at.column },
        d.reason ?? c.error.message,
      );
    }
    if (RESERVED_NAMES.has(c.name))
      refuse(f.file, graphId, at, `'${c.name}' is reserved (POST /queries/check)`);
    const meta = c.plan!.meta;
    return {
      name: c.name,
      file: f.file,
      source: f.source,
      kind: c.kind,
      params: c.plan!.params.map(paramDescriptor),
      description: meta.description ?? null,
      instruction: meta.instruction ?? null,
      expose: meta.annotations.some((a) => a.name === 'expose'),
      line: at.line,
    };
  });
}

/**
 * The catalog of one graph: the files for every graph and the ones for this graph, each
 * query checked against its schema; names are unique within the graph.
 */
export function storedQueriesFor(
  files: QueryFileText[],
  catalog: Catalog,
  graphId: string | null,
): StoredQuerySet {
  const byName = new Map<string, StoredQuery>();
  for (const f of files) {
    if (f.graphId !== null && f.graphId !== graphId) continue;
    for (const q of checkFile(f, catalog, graphId)) {
      const prior = byName.get(q.name);
      if (prior)
        refuse(
          f.file,
          graphId,
          { line: q.line, column: 1, query: q.name },
          `query '${q.name}' is also declared in ${prior.file}:${prior.line}`,
        );
      byName.set(q.name, q);
    }
  }
  const list = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { list: () => list, get: (name) => byName.get(name) };
}

/** Graph folders of the directory that name no served graph: a typo would silently serve nothing. */
export function checkGraphFolders(files: QueryFileText[], graphIds: string[]): void {
  for (const f of files)
    if (f.graphId !== null && !graphIds.includes(f.graphId))
      refuse(
        f.file,
        f.graphId,
        { line: 1, column: 1, query: null },
        `no graph '${f.graphId}' is served (graphs: ${graphIds.join(', ')})`,
      );
}

export const EMPTY_QUERIES: StoredQuerySet = { list: () => [], get: () => undefined };
