/**
 * The write protocol's types (run.ts runs it): the context a write runs in, what a
 * writer's body hands the protocol (its plan: table actions and what to publish with
 * them), what a write returns, and where a run is (a union keyed by phase).
 */
import type { Catalog, TypeDef } from '../../schema/types.js';
import type { TableHandle, TableStore } from '../../storage/index.js';
import type {
  FileDigest,
  Journal,
  OperationKind,
  Snapshot,
  TablePin,
} from '../../journal/index.js';
import type { EmbeddingClient } from '../../embed/index.js';
import type { StagedOperation } from './staging/staging.js';

/** Everything a write needs of its repo (the Repo passes itself as this). */
export interface OperationContext {
  dir: string;
  store: TableStore;
  journal: Journal;
  /**
   * The catalog the writer stages with: checked under the leases against the journal's
   * recorded schema, so no write publishes with a catalog a schema change replaced.
   */
  catalog: Catalog;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
  /** Ops of this process in flight (recovery must never touch them). */
  activeOps: Set<string>;
  /**
   * The client that fills `@embed` vectors, created on first use (default: from the
   * environment, `LANCELOG_EMBEDDINGS`; docs/writes.md §Embeddings).
   */
  embeddings?: () => EmbeddingClient;
}

export interface OperationOptions {
  branch?: string;
  actor?: string;
  message?: string;
  /**
   * A conditional write: run only if the branch head is still this commit, checked
   * before anything is journaled and again atomically in the publish transaction
   * (PreconditionFailed, exit 4 / HTTP 412; nothing is published).
   */
  ifCommit?: string;
}

/** What Phase B tells a table action about where it starts and lets it journal. */
export interface TableCommitStep {
  /** The published pin the table starts from (Lance HEAD == pin was checked under the lease). */
  pin: number;
  /**
   * Journals an intermediate Lance commit (`table.committed`). A 'many' action calls it
   * after every Lance commit except the last; the protocol records the last one itself.
   */
  committed(version: number): void;
}

/** One table's share of an operation: the Lance commit(s) Phase B makes on it. */
export interface TableAction {
  def: TypeDef;
  /**
   * 'one': exactly one Lance commit, which must land at pin + 1 (asserted). 'many': zero
   * or more commits, the final version > pin (asserted) or, when it made none, the pin
   * itself: such a table is not published (optimize or cleanup finding nothing to
   * compact); recovery never rolls a 'many' table forward (its intent has no
   * post-commit version).
   */
  commits: 'one' | 'many';
  /** Makes the commit(s) on `handle`, open on the operation's Lance branch at the pin. */
  commit(handle: TableHandle, step: TableCommitStep): Promise<number>;
}

/**
 * A schema change (`lancelog schema apply`, docs/schema-language.md §Evolution): the new
 * schema (recorded with `schema.recorded` in the publish transaction), the tables its
 * new types got (created empty before the publish, pinned by it) and the tables of its
 * dropped types (no longer pinned). With it the operation always publishes, also when
 * no table moved.
 */
export interface SchemaChange {
  hash: string;
  source: string;
  /** With the digests of the new, empty table's files (recorded with the publish). */
  newTables: Array<{ tableKey: string; version: number; files?: FileDigest[] }>;
  unpin: Array<{ tableKey: string; expectedVersion: number }>;
}

/**
 * What a writer's body returns: the Lance commits to make — a row writer's staged rows
 * (one upsert/delete commit per table) or a table writer's actions — and what to
 * publish with them.
 */
export interface WritePlan<T> {
  /** What the write returns to its caller (the outcome's `value`). */
  value: T;
  /**
   * A row writer's staged rows (stagingAt): their cross-row rules are checked, they are
   * counted in the outcome, and read caches derive new versions from them.
   */
  staged?: StagedOperation;
  /** A table writer's actions, at most one per table; none: the operation completes, nothing is published. */
  actions?: TableAction[];
  /** The second parent of the commit the publish makes (a merge). */
  mergedParentId?: string | null;
  schemaChange?: SchemaChange;
}

/**
 * A writer's body: stages rows or plans table actions at the branch's snapshot (the
 * pins every table must still have at publish), before any lease is taken.
 */
export type WriteBody<T> = (snapshot: Snapshot) => Promise<WritePlan<T>>;

export interface TableMove {
  tableKey: string;
  from: number;
  to: number;
  lanceBranch: string | null;
}

export interface CommitResult {
  commitId: string | null;
  manifestVersion: number | null;
  tables: TableMove[];
}

export interface OperationOutcome<T> extends CommitResult {
  opId: string;
  value: T;
  affectedNodes: number;
  affectedEdges: number;
}

/** The operation as the journal and the sidecar name it. */
export interface OperationInfo {
  opId: string;
  kind: OperationKind;
  branch: string;
  actor: string;
  message: string | null;
  /** A conditional write: publish only if the branch head is still this commit. */
  ifCommit?: string;
}

/** One table of the operation, in table-key order: its action, its pin and its Lance branch. */
export interface PlannedTable {
  action: TableAction;
  def: TypeDef;
  tableKey: string;
  pin: TablePin;
  /** The Lance branch the operation writes to (null: the table's main line). */
  lanceBranch: string | null;
}

/** Phase B's progress, by position in the plan. */
export interface TableCommits {
  /** Phase B found HEAD == pin under the lease and started this table's commit(s): a rollback restores it. */
  attempted: boolean[];
  /** The final version of each table whose commit(s) are done. */
  versions: Array<number | undefined>;
  /** Its `table.committed` (with its files' digests) is journaled already, right after the commit. */
  recorded: boolean[];
}

/**
 * Where a run of the protocol is: what its failure path must undo (run.ts `fail`).
 * `unjournaled` and `lease` both fail in phase 'lease'.
 */
export type ProtocolRun =
  /** Nothing journaled yet: a refusal is op.begun + op.failed + op.rolled_back, one transaction. */
  | { phase: 'unjournaled' }
  /** op.begun and the leases journaled; forks and HEAD == pin checked under them. */
  | { phase: 'lease' }
  /** The intent journaled; `sidecar` is its file once written (fsync'd). */
  | { phase: 'intent'; sidecar: string | null }
  /** Phase B: Lance commits under way. */
  | { phase: 'table_commit'; commits: TableCommits }
  /** Phase B done, each table's files durable; the publish not yet made. */
  | { phase: 'publish'; commits: TableCommits }
  /** Published (or completed with nothing to publish): nothing left to undo. */
  | { phase: 'published' };
