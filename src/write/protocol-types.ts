/**
 * The write protocol's types (src/write/protocol.ts runs it): what a writer hands the
 * protocol (table actions, publish extras, context, operation) and what a run tracks.
 */
import type { Catalog, TypeDef } from '../schema/types.js';
import type { TableHandle, TableStore } from '../storage/index.js';
import type { FileDigest, Journal, OperationKind, TablePin } from '../journal/index.js';

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

/** Extra facts the publish records. */
export interface PublishExtras {
  /** The second parent of the commit the publish makes (a merge). */
  mergedParentId?: string | null;
  /**
   * A schema change (`lancelog schema apply`, docs/schema-language.md §Evolution): the
   * new schema (recorded with `schema.recorded` in the publish transaction), the tables
   * its new types got (created empty before the publish, pinned by it) and the tables
   * of its dropped types (no longer pinned). With it the operation always publishes,
   * also when no table moved.
   */
  schemaChange?: {
    hash: string;
    source: string;
    /** With the digests of the new, empty table's files (recorded with the publish). */
    newTables: Array<{ tableKey: string; version: number; files?: FileDigest[] }>;
    unpin: Array<{ tableKey: string; expectedVersion: number }>;
  };
}

export interface WriteContext {
  dir: string;
  store: TableStore;
  journal: Journal;
  /**
   * The catalog the writer staged with: checked under the leases against the journal's
   * recorded schema, so no write publishes with a catalog a schema change replaced.
   */
  catalog?: Catalog;
}

export interface OperationInfo {
  opId: string;
  /** false: `op.begun` is not journaled yet; the protocol records it in its first transaction. */
  begun?: boolean;
  kind: OperationKind;
  branch: string;
  actor: string;
  message?: string;
  /** A conditional write: publish only if the branch head is still this commit. */
  ifCommit?: string;
}

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

export interface PlannedTable extends TableAction {
  pin: TablePin;
  lanceBranch: string | null;
  /** Phase B found HEAD == pin under the lease and started this table's commit(s): a rollback restores it. */
  attempted: boolean;
}

export type Phase = 'lease' | 'intent' | 'table_commit' | 'publish' | 'cleanup' | 'rollback';

/** Where a protocol run is, for its failure path. */
export interface ProtocolRun {
  phase: Phase;
  /** `op.begun` is in the journal. */
  begun: boolean;
  sidecarWritten: boolean;
  phaseBStarted: boolean;
  published: boolean;
  /** Final Lance commits not journaled yet: recorded with the publish, or before `op.failed`. */
  unrecorded: Array<{ tableKey: string; version: number }>;
}
