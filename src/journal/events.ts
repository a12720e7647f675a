/**
 * Event kinds of the journal and their zod schemas.
 *
 * Payloads cross a disk boundary (the `events.payload` JSON column), so every
 * payload is parsed with its schema when appended AND when read back
 * (docs/architecture.md §Layers: zod at every boundary). Field names inside payloads are snake_case because they are
 * the on-disk contract; `journal/events.schema.json` is generated from these
 * schemas (scripts/gen-event-schema.ts) and a test fails when it is stale.
 *
 * Schemas are strict: an unknown field is a bug in the writer, not an extension.
 */
import { z } from 'zod';
import { LancelogError } from '../errors.js';

const TableKey = z.string().min(1).describe('node:<Type> or edge:<Edge>');
const Version = z.number().int().nonnegative().describe('a Lance table version');
const ManifestVersion = z.number().int().positive();
const TimeUs = z.number().int().nonnegative().describe('microseconds since the Unix epoch');
/** null = the table's main Lance branch. */
const LanceBranch = z
  .string()
  .min(1)
  .nullable()
  .describe('Lance branch of the table; null for its main line');
const Id = z.string().min(1);

export const OperationKind = z.enum([
  'Mutation',
  'Load',
  'Recovery',
  'SchemaApply',
  'BranchMerge',
  'EnsureIndices',
  /** Lance compaction of a branch's tables (`lancelog optimize`). */
  'Optimize',
  /** Lance version garbage collection (`lancelog cleanup`). */
  'Cleanup',
  /** `lancelog doctor --repair` putting a table back at its pin. */
  'Repair',
]);
export type OperationKind = z.infer<typeof OperationKind>;

/** Protocol phases an operation can fail in (docs/architecture.md §Life of a write). */
export const Phase = z.enum([
  'begin',
  'stage',
  'lease',
  'intent',
  'table_commit',
  'publish',
  'cleanup',
  'rollback',
  'recovery',
]);
export type Phase = z.infer<typeof Phase>;

export const RecoveryClass = z.enum([
  'NoMovement',
  'RolledPastExpected',
  'RolledPastUnverified',
  'UnexpectedAtP1',
  'UnexpectedMultistep',
  'InvariantViolation',
]);
export type RecoveryClass = z.infer<typeof RecoveryClass>;

export const RecoveryDecision = z.enum(['Cleanup', 'Abort', 'RollForward', 'RollBack']);
export type RecoveryDecision = z.infer<typeof RecoveryDecision>;

/** A Lance file as written: path relative to the table directory, size, sha256 (hex). */
const FileDigest = z.strictObject({
  path: z.string().min(1).describe('relative to the table directory, e.g. data/<uuid>.lance'),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FileDigest = z.infer<typeof FileDigest>;
/** The `files` of a payload (digests of what a commit wrote), when known. */
export function filesOf(t: { files?: readonly FileDigest[] }): { files?: FileDigest[] } {
  return t.files ? { files: t.files.map((f) => ({ ...f })) } : {};
}
/** A Lance commit as a command names it: what `table.committed` records. */
export type CommittedVersion = { tableKey: string; version: number; files?: readonly FileDigest[] };

const LeaseTarget = z.strictObject({ table_key: TableKey, branch: z.string().min(1) });
const VersionMove = z.strictObject({ table_key: TableKey, from: Version, to: Version });

/** One schema per event kind. Adding a kind: add it here, handle it in evolve.ts, document it in docs/journal.md. */
export const eventPayloadSchemas = {
  /** Once, by Journal.create: manifest 1 of `main` with these pins and the initial commit. */
  'repo.initialized': z.strictObject({
    tables: z.array(
      z.strictObject({
        table_key: TableKey,
        version: Version,
        /** The digests of the empty table's files (as `table.committed`'s). */
        files: z.array(FileDigest).optional(),
      }),
    ),
    commit_id: Id,
    actor: z.string().min(1),
    message: z.string().nullable(),
  }),
  /** Step 1 of the write protocol: an operation starts. */
  'op.begun': z.strictObject({
    kind: OperationKind,
    branch: z.string().min(1),
    actor: z.string().min(1),
    /** The process running the operation, so recovery can tell a crashed owner from a live one. */
    owner: z.strictObject({ pid: z.number().int(), host: z.string() }).optional(),
  }),
  /** Step 3: leases taken on every touched (table, branch), all in one transaction. */
  'lease.acquired': z.strictObject({
    tables: z.array(LeaseTarget).min(1),
    owner: z.strictObject({ pid: z.number().int(), host: z.string(), leaseId: Id }),
    heartbeat_us: TimeUs,
  }),
  /** The lease owner is alive; refreshes heartbeat_us of every lease the operation holds. */
  'lease.heartbeat': z.strictObject({ heartbeat_us: TimeUs }),
  /** Leases given back without publishing (publish, completion and rollback release implicitly). */
  'lease.released': z.strictObject({ tables: z.array(LeaseTarget) }),
  /**
   * Phase A: the sidecar was written; the same expected → post-commit versions.
   * `post_commit_version` is null for a table the operation commits more than once
   * (a multi-commit writer): recovery never rolls such a table forward.
   */
  'op.intent_recorded': z.strictObject({
    tables: z
      .array(
        z.strictObject({
          table_key: TableKey,
          lance_branch: LanceBranch,
          expected_version: Version,
          post_commit_version: Version.nullable(),
        }),
      )
      .min(1),
  }),
  /** Phase B: about to make the single Lance commit of one table. */
  'table.commit_started': z.strictObject({ table_key: TableKey }),
  /**
   * Phase B: a Lance commit of the table landed at `version` (several for a multi-commit
   * table). `files`: the size and sha256 of every file `version` needs that the pin did
   * not (manifest, transaction, data, deletion, index files), read right after the
   * commit: recovery rolls the table forward only when they still match, and the scrub
   * (`lancelog doctor --deep`) checks them. Absent on journals from before checksums.
   */
  'table.committed': z.strictObject({
    table_key: TableKey,
    version: Version,
    files: z.array(FileDigest).optional(),
  }),
  /**
   * Phase C, the commit point: new manifest version of the branch. `pins` lists only
   * the tables this publish moved; every other table keeps its pin. Releases every
   * lease the operation holds.
   */
  'op.published': z.strictObject({
    manifest_version: ManifestVersion,
    commit_id: Id,
    pins: z.array(
      z.strictObject({ table_key: TableKey, version: Version, lance_branch: LanceBranch }),
    ),
    actor: z.string().min(1),
    message: z.string().nullable(),
    merged_parent_id: Id.nullable(),
    /** Tables this manifest no longer pins (a schema change dropped their types). */
    unpinned: z.array(TableKey).optional(),
  }),
  /** Phase D: sidecar deleted; the operation is done. Releases leases. */
  'op.completed': z.strictObject({}),
  /** The operation failed in `phase`; rollback (if any) follows while leases are held. */
  'op.failed': z.strictObject({
    error: z.strictObject({ code: z.string(), message: z.string() }),
    phase: Phase,
  }),
  /** In-process rollback finished: each moved table was restored `from` → `to`. Releases leases. */
  'op.rolled_back': z.strictObject({ tables: z.array(VersionMove) }),
  /** Recovery (an operation of kind Recovery) classified every table of `original_op_id`. */
  'recovery.classified': z.strictObject({
    original_op_id: Id,
    tables: z.array(
      z.strictObject({
        table_key: TableKey,
        head: Version,
        pin: Version,
        expected: Version,
        committed: Version.nullable(),
        class: RecoveryClass,
      }),
    ),
  }),
  /** Recovery decided what to do with `original_op_id`, all-or-nothing. */
  'recovery.decided': z.strictObject({ original_op_id: Id, decision: RecoveryDecision }),
  /**
   * Recovery applied its decision. Writes the recovery_audit row, resolves the
   * original operation (Cleanup/RollForward → completed, RollBack → rolled_back,
   * Abort → unchanged) and releases its leases (except on Abort).
   */
  'recovery.applied': z.strictObject({
    original_op_id: Id,
    decision: RecoveryDecision,
    tables: z.array(VersionMove),
  }),
  /** A branch was created from `from_branch` at `from_manifest_version`: lazy, it copies pins, never data. */
  'branch.created': z.strictObject({
    name: z.string().min(1),
    from_branch: z.string().min(1),
    from_manifest_version: ManifestVersion,
  }),
  /** A branch was deleted (soft: its history stays; the name cannot be reused). */
  'branch.deleted': z.strictObject({ name: z.string().min(1) }),
  /** Lazy fork: the first write of a table on a branch created its Lance branch from `from_version`. */
  'table.forked': z.strictObject({
    table_key: TableKey,
    lance_branch: z.string().min(1),
    from_version: Version,
  }),
  /**
   * The schema fingerprint the repo's data is written under: at init, when a repo
   * from before fingerprints is first opened read-write (`adopted`), and at every
   * schema change (`changed`). Open refuses a `_schema.pg` whose hash differs.
   */
  'schema.recorded': z.strictObject({
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe("sha256 of the catalog's canonical JSON"),
    reason: z.enum(['init', 'adopted', 'changed']),
    /**
     * The schema text (`changed`, by `lancelog schema apply`): recorded in the publish
     * transaction, so `_schema.pg` can be rewritten from the journal after a crash.
     */
    source: z.string().optional(),
  }),
  /**
   * `lancelog cleanup` removed these Lance versions (version GC, in the cleanup
   * operation's op_id). Time travel to a commit pinning one of them fails with
   * `VersionCleanedUp` (docs/maintenance.md).
   */
  'versions.cleaned': z.strictObject({
    tables: z.array(
      z.strictObject({
        table_key: TableKey,
        lance_branch: LanceBranch,
        versions: z.array(Version).describe('the Lance versions removed, ascending'),
        bytes_removed: z.number().int().nonnegative(),
      }),
    ),
  }),
  /**
   * `lancelog doctor --deep --repair --confirm` (a `Repair` operation): the damaged Lance
   * versions the scrub found, with their damaged files, the commits that can no longer
   * be read because of them, and the commits a re-pin of the branch's head dropped
   * (those after the manifest version it went back to). Time travel to one of the
   * `unreadable_commits` is then `VersionDamaged`; later scrubs report a damaged version
   * that only these commits pin as known. (By commit, not by version number: Lance may
   * number a later commit as a damaged version whose manifest was lost.)
   */
  'repair.damage_recorded': z.strictObject({
    versions: z.array(
      z.strictObject({
        table_key: TableKey,
        lance_branch: LanceBranch,
        version: Version,
        files: z.array(
          z.strictObject({
            path: z.string().min(1),
            problem: z.enum(['missing', 'size', 'checksum', 'unreadable']),
          }),
        ),
        unreadable: z.boolean().describe('false: only its transaction file is damaged'),
        commits: z.array(Id).describe('the commits that pinned it when the damage was recorded'),
      }),
    ),
    unreadable_commits: z.array(Id),
    dropped_commits: z.array(Id),
  }),
} as const;

export type EventKind = keyof typeof eventPayloadSchemas;
export const EVENT_KINDS = Object.keys(eventPayloadSchemas) as EventKind[];
export type EventPayloads = { [K in EventKind]: z.infer<(typeof eventPayloadSchemas)[K]> };

/** Kind + payload, the part of an event a caller supplies. */
export type EventBody = { [K in EventKind]: { kind: K; payload: EventPayloads[K] } }[EventKind];

/** The envelope the journal adds when appending. */
export interface EventEnvelope {
  /** Position in the journal; strictly increasing. */
  seq: number;
  opId: string;
  timeUs: number;
  /** The branch the event is about (for op-scoped events: the operation's branch). */
  branch: string;
  /** Set for events about one table (table.*), else null. */
  tableKey: string | null;
}

export type JournalEvent = EventEnvelope & EventBody;

export function isEventKind(kind: string): kind is EventKind {
  return Object.prototype.hasOwnProperty.call(eventPayloadSchemas, kind);
}

/** Parses a payload with the schema of its kind; EventPayloadInvalid on any mismatch. */
export function parsePayload<K extends EventKind>(
  kind: K,
  payload: unknown,
  where: Record<string, unknown> = {},
): EventPayloads[K] {
  if (!isEventKind(kind)) {
    throw new LancelogError('EventPayloadInvalid', `unknown event kind ${JSON.stringify(kind)}`, {
      kind,
      ...where,
    });
  }
  const result = eventPayloadSchemas[kind].safeParse(payload);
  if (!result.success) {
    throw new LancelogError(
      'EventPayloadInvalid',
      `invalid payload for event ${kind}: ${z.prettifyError(result.error)}`,
      {
        kind,
        issues: result.error.issues,
        ...where,
      },
    );
  }
  return result.data as EventPayloads[K];
}

/** Validates a caller-supplied body, returning it with the parsed (canonical) payload. */
export function parseBody(body: { kind: string; payload: unknown }): EventBody {
  return {
    kind: body.kind,
    payload: parsePayload(body.kind as EventKind, body.payload),
  } as EventBody;
}

/**
 * The stored row shape (`events` table) as one zod discriminated union; used to
 * generate journal/events.schema.json.
 */
export function eventRowSchema() {
  const envelope = {
    seq: z.number().int().positive(),
    op_id: Id,
    time_us: TimeUs,
    branch: z.string().min(1),
    table_key: TableKey.nullable(),
  };
  const variants = EVENT_KINDS.map((kind) =>
    z.strictObject({ ...envelope, kind: z.literal(kind), payload: eventPayloadSchemas[kind] }),
  );
  return z.discriminatedUnion(
    'kind',
    variants as unknown as [(typeof variants)[number], ...typeof variants],
  );
}
