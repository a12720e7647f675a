/**
 * The request and response shapes of the HTTP API, as zod schemas: the handlers
 * parse every request with them, and /openapi.json is generated from them
 * (src/server/openapi.ts), so the document cannot drift from what is enforced.
 * Field names and types follow the reference engine's API (Omnigraph API 0.3.0).
 */
import { z } from 'zod';
import { EVENT_KINDS } from '../index.js';

const nullableString = z.string().nullable().optional();
const count = z.number().int().min(0);

export const LoadModeSchema = z.enum(['overwrite', 'append', 'merge']).meta({ id: 'LoadMode' });
export const ErrorCodeSchema = z
  .enum(['unauthorized', 'forbidden', 'bad_request', 'not_found', 'conflict', 'internal'])
  .meta({ id: 'ErrorCode' });
export const MergeConflictSchema = z
  .object({
    table_key: z.string(),
    kind: z.enum([
      'divergent_insert',
      'divergent_update',
      'delete_vs_update',
      'orphan_edge',
      'unique_violation',
      'cardinality_violation',
      'value_constraint_violation',
    ]),
    message: z.string(),
    row_id: nullableString,
  })
  .meta({ id: 'MergeConflictOutput' });
export const ErrorSchema = z
  .object({
    error: z.string(),
    code: ErrorCodeSchema.nullable().optional(),
    merge_conflicts: z.array(MergeConflictSchema).optional(),
    manifest_conflict: z
      .object({
        table_key: z.string(),
        expected: z.number().nullable(),
        actual: z.number().nullable(),
      })
      .optional(),
    lancelog_code: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    precondition_failure: z
      .object({ expected: z.string(), actual: z.string().nullable() })
      .optional(),
    change_feed_gap: z
      .object({ cursor: z.string().nullable(), first_unreadable_commit_id: z.string() })
      .optional(),
    change_diff_refusal: z
      .object({ reason: z.string(), graph_commit_id: z.string(), type_name: z.string().optional() })
      .optional(),
  })
  .meta({ id: 'ErrorOutput' });

export const HealthSchema = z
  .object({
    status: z.string(),
    version: z.string(),
    source_version: nullableString,
    repo: z
      .object({
        uri: z.string(),
        branches: count,
        main_manifest_version: count,
        main_commit_id: z.string(),
      })
      .optional(),
    journal: z
      .object({ events: count, pending_recovery: count, last_refresh_at: nullableString })
      .optional(),
    /** Lancelog's addition with `serve --graph`: each served graph (`repo` is the first). */
    graphs: z
      .array(z.object({ graph_id: z.string(), uri: z.string(), pending_recovery: count }))
      .optional(),
  })
  .meta({ id: 'HealthOutput' });

export const BranchQuerySchema = z.object({ branch: z.string().min(1).optional() });

export const SnapshotSchema = z
  .object({
    branch: z.string(),
    manifest_version: count,
    tables: z.array(
      z
        .object({
          table_key: z.string(),
          table_path: z.string(),
          table_version: count,
          table_branch: nullableString,
          row_count: count,
        })
        .meta({ id: 'SnapshotTableOutput' }),
    ),
  })
  .meta({ id: 'SnapshotOutput' });

export const ReadRequestSchema = z
  .object({
    query_source: z.string(),
    query_name: nullableString,
    params: z.unknown().optional(),
    branch: nullableString,
    /** A graph commit id to read at (time travel). */
    snapshot: nullableString,
  })
  .meta({ id: 'ReadRequest' });
export const ReadOutputSchema = z
  .object({
    query_name: z.string(),
    target: z
      .object({ branch: nullableString, snapshot: nullableString })
      .meta({ id: 'ReadTargetOutput' }),
    row_count: count,
    columns: z.array(z.string()).optional(),
    /** Lancelog's addition: each column's type (`String`, `I64`, `node Person`, …). */
    column_types: z.array(z.string()).optional(),
    rows: z.unknown(),
  })
  .meta({ id: 'ReadOutput' });

export const ExportRequestSchema = z
  .object({
    branch: nullableString,
    type_names: z.array(z.string()).optional(),
    table_keys: z.array(z.string()).optional(),
  })
  .meta({ id: 'ExportRequest' });

export const ChangeRequestSchema = z
  .object({
    query_source: z.string(),
    query_name: nullableString,
    params: z.unknown().optional(),
    branch: nullableString,
  })
  .meta({ id: 'ChangeRequest' });
export const ChangeOutputSchema = z
  .object({
    branch: z.string(),
    query_name: z.string(),
    affected_nodes: count,
    affected_edges: count,
    actor_id: nullableString,
    graph_commit_id: nullableString,
    manifest_version: count.nullable().optional(),
    /** Lancelog's additions: the operation, and the rows each statement touched. */
    op_id: z.string().optional(),
    statements: z.array(z.object({ op: z.string(), type: z.string(), rows: count })).optional(),
  })
  .meta({ id: 'ChangeOutput' });

export const SchemaOutputSchema = z
  .object({ schema_source: z.string() })
  .meta({ id: 'SchemaOutput' });
export const SchemaApplyRequestSchema = z
  .object({ schema_source: z.string() })
  .meta({ id: 'SchemaApplyRequest' });
export const SchemaApplyOutputSchema = z
  .object({
    uri: z.string(),
    supported: z.boolean(),
    applied: z.boolean(),
    step_count: count,
    manifest_version: count,
    steps: z.array(z.unknown()),
  })
  .meta({ id: 'SchemaApplyOutput' });

export const IngestRequestSchema = z
  .object({
    data: z.string(),
    branch: nullableString,
    from: nullableString,
    mode: LoadModeSchema.nullable().optional(),
  })
  .meta({ id: 'IngestRequest' });
export const IngestOutputSchema = z
  .object({
    uri: z.string(),
    branch: z.string(),
    base_branch: z.string(),
    branch_created: z.boolean(),
    mode: LoadModeSchema,
    tables: z.array(
      z.object({ table_key: z.string(), rows_loaded: count }).meta({ id: 'IngestTableOutput' }),
    ),
    actor_id: nullableString,
  })
  .meta({ id: 'IngestOutput' });

export const BranchListSchema = z
  .object({ branches: z.array(z.string()) })
  .meta({ id: 'BranchListOutput' });
export const BranchCreateRequestSchema = z
  .object({ name: z.string().min(1), from: nullableString })
  .meta({ id: 'BranchCreateRequest' });
export const BranchCreateOutputSchema = z
  .object({ uri: z.string(), from: z.string(), name: z.string(), actor_id: nullableString })
  .meta({ id: 'BranchCreateOutput' });
export const BranchPathSchema = z.object({ branch: z.string().min(1) });
export const BranchDeleteOutputSchema = z
  .object({ uri: z.string(), name: z.string(), actor_id: nullableString })
  .meta({ id: 'BranchDeleteOutput' });
export const BranchMergeRequestSchema = z
  .object({
    source: z.string().min(1),
    target: nullableString,
    /** Delete the source after the merge landed (its own `branch_delete` check; never fails the merge). */
    delete_branch: z.boolean().nullable().optional(),
  })
  .meta({ id: 'BranchMergeRequest' });
export const BranchMergeOutputSchema = z
  .object({
    source: z.string(),
    target: z.string(),
    outcome: z
      .enum(['already_up_to_date', 'fast_forward', 'merged'])
      .meta({ id: 'BranchMergeOutcome' }),
    actor_id: nullableString,
    /** Set when `delete_branch` was asked: whether the source was deleted, and why not. */
    branch_deleted: z.boolean().nullable().optional(),
    branch_delete_error: nullableString,
  })
  .meta({ id: 'BranchMergeOutput' });

export const CommitSchema = z
  .object({
    graph_commit_id: z.string(),
    manifest_branch: nullableString,
    manifest_version: count,
    parent_commit_id: nullableString,
    merged_parent_commit_id: nullableString,
    actor_id: nullableString,
    /** Microseconds since the Unix epoch. */
    created_at: z.number().int(),
    message: nullableString,
    /** Lancelog's addition: the operation that published the commit. */
    op_id: z.string().optional(),
  })
  .meta({ id: 'CommitOutput' });
export const CommitListSchema = z
  .object({ commits: z.array(CommitSchema) })
  .meta({ id: 'CommitListOutput' });
export const CommitPathSchema = z.object({ commit_id: z.string().min(1) });

// ── Lancelog's own endpoints ─────────────────────────────────────────────

export const JournalQuerySchema = z.object({
  op_id: z.string().optional(),
  kind: z.enum(EVENT_KINDS).optional(),
  branch: z.string().optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
/** Journal events as the journal stores them (docs/journal.md): seq, opId, timeUs, branch, tableKey, kind, payload. */
export const JournalOutputSchema = z
  .object({ events: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: 'JournalOutput' });
export const OperationPathSchema = z.object({ op_id: z.string().min(1) });
export const OperationOutputSchema = z
  .object({ operation: z.record(z.string(), z.unknown()) })
  .meta({ id: 'OperationOutput' });
export const RecoveryOutputSchema = z
  .object({
    pending: z.array(z.record(z.string(), z.unknown())),
    audit: z.array(z.record(z.string(), z.unknown())),
  })
  .meta({ id: 'RecoveryOutput' });

/** /openapi.json: an OpenAPI 3.1 document (not described further here). */
export const OpenApiSchema = z.record(z.string(), z.unknown());
