/**
 * The server's answers the CLI reads, as zod schemas (the server's own shapes,
 * src/server/api-schemas.ts, and Lancelog's additions): an answer that does not match is
 * `ServerResponseInvalid`, naming what was wrong, never a half-read value.
 */
import { z } from 'zod';
import { LancelogError } from '../../src/index.js';

/** Integers arrive as numbers, or bigints past 2^53 (exact parse). */
const int = z.union([z.number().int(), z.bigint()]).transform((v) => Number(v));

export const Commit = z.object({
  graph_commit_id: z.string(),
  manifest_branch: z.string(),
  manifest_version: int,
  parent_commit_id: z.string().nullable().optional(),
  merged_parent_commit_id: z.string().nullable().optional(),
  actor_id: z.string(),
  created_at: int,
  message: z.string().nullable().optional(),
  /** Lancelog's addition: the operation that published it. */
  op_id: z.string().optional(),
});
export type CommitWire = z.output<typeof Commit>;
export const CommitList = z.object({ commits: z.array(Commit) });

export const BranchList = z.object({ branches: z.array(z.string()) });
export const BranchInfo = z.object({
  name: z.string(),
  parent_branch: z.string().nullable(),
  parent_manifest_version: int.nullable(),
  head_manifest_version: int,
  head_commit_id: z.string(),
  created_at: int,
  forks: z.array(z.object({ table_key: z.string(), lance_branch: z.string() })),
});
export type BranchInfoWire = z.output<typeof BranchInfo>;

export const Snapshot = z.object({
  branch: z.string(),
  manifest_version: int,
  tables: z.array(
    z.object({
      table_key: z.string(),
      table_path: z.string(),
      table_version: int,
      table_branch: z.string().nullable().optional(),
      row_count: int,
    }),
  ),
});

export const ReadOutput = z.object({
  query_name: z.string(),
  target: z.object({
    branch: z.string().nullable().optional(),
    snapshot: z.string().nullable().optional(),
  }),
  row_count: int,
  columns: z.array(z.string()),
  column_types: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
});

export const ChangeOutput = z.object({
  affected_nodes: int,
  affected_edges: int,
  graph_commit_id: z.string().nullable().optional(),
  manifest_version: int.nullable().optional(),
  /** Lancelog's additions: the operation and what each statement did. */
  op_id: z.string(),
  statements: z.array(z.object({ op: z.string(), type: z.string(), rows: int })),
});

/** `GET /queries`: each stored query's name, kind and typed parameters. */
export const QueryCatalog = z.object({
  queries: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['read', 'mutation']),
      params: z.array(z.object({ name: z.string(), kind: z.string(), nullable: z.boolean() })),
    }),
  ),
});
export type StoredQueryWire = z.output<typeof QueryCatalog>['queries'][number];

/** `/healthz`: the repo's path on the server's machine (what a local catalog is named by). */
export const Health = z.object({ repo: z.object({ uri: z.string() }).optional() });

/** `GET /graphs` (a multi-graph server): each graph's id and its repo's directory. */
export const GraphList = z.object({
  graphs: z.array(z.object({ graph_id: z.string(), uri: z.string() })),
});

export const SchemaOutput = z.object({ schema_source: z.string() });

/** `value` as `schema` describes it, else `ServerResponseInvalid`. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new LancelogError(
    'ServerResponseInvalid',
    `the server's answer is not what this CLI expects: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    { cause: parsed.error.issues },
  );
}
