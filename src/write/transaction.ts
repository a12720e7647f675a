/**
 * The programmatic transaction API: everything staged inside `repo.transaction(fn)`
 * commits atomically (one Lance commit per touched table, one publish) or not at all.
 */
import { RepoError } from '../errors.js';
import type { Snapshot } from '../journal/index.js';
import {
  runWrite,
  stagingAt,
  type Filter,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
  type Row,
  type StagedOperation,
} from './protocol/index.js';
import type { QuerySource, ReadResult } from '../read/types.js';

/** Runs a read query at the transaction's snapshot overlaid with its staged changes. */
export type TransactionReader = (query: QuerySource) => Promise<ReadResult>;

/**
 * `repo.transaction(fn)`: one operation (kind `Mutation`) whose body is `fn`, run against
 * a transaction at the branch's snapshot; `readerOf` gives `tx.query` its reads.
 */
export function runTransaction<T>(
  ctx: OperationContext,
  fn: (tx: Transaction) => Promise<T> | T,
  opts: OperationOptions,
  readerOf: (snapshot: Snapshot, staged: StagedOperation) => TransactionReader,
): Promise<OperationOutcome<T>> {
  return runWrite(ctx, 'Mutation', opts, async (snapshot) => {
    const staged = stagingAt(ctx, snapshot);
    return { value: await fn(new Transaction(staged, readerOf(snapshot, staged))), staged };
  });
}

export class Transaction {
  constructor(
    private readonly staged: StagedOperation,
    private readonly reader: TransactionReader,
  ) {}

  /** Inserts a node; its key (or `data.id` for keyless types, else a new ULID) must be new. Returns the id. */
  insert(type: string, data: Record<string, unknown>): string {
    return this.staged.putNode(type, data, 'insert');
  }

  /** Inserts or replaces a whole node row by id. Returns the id. */
  upsert(type: string, data: Record<string, unknown>): string {
    return this.staged.putNode(type, data, 'upsert');
  }

  /** Sets some properties of an existing node or edge; false when it does not exist. */
  update(type: string, id: string, patch: Record<string, unknown>): Promise<boolean> {
    return this.staged.updateRow(type, id, patch);
  }

  /** Deletes a node (and every edge touching it) or an edge; false when it does not exist. */
  delete(type: string, id: string): Promise<boolean> {
    return this.staged.deleteRow(type, id);
  }

  /** Inserts an edge between two node keys. Returns the edge id. */
  link(edge: string, from: string, to: string, data: Record<string, unknown> = {}): string {
    return this.staged.putEdge(edge, from, to, data);
  }

  /** Deletes an edge by id; false when it does not exist. */
  async unlink(edge: string, id: string): Promise<boolean> {
    if (this.staged.typeDef(edge).kind !== 'edge')
      throw new RepoError('NotAnEdgeType', `'${edge}' is not an edge type`, { type: edge });
    return this.staged.deleteRow(edge, id);
  }

  /** Reads see this transaction's own pending changes. */
  get(type: string, id: string): Promise<Row | null> {
    return this.staged.get(type, id);
  }

  scan(type: string, filter: Filter = [], opts: { limit?: number } = {}): Promise<Row[]> {
    return this.staged.scan(type, filter, opts);
  }

  /**
   * Runs a `.gq` read query that sees this transaction's staged inserts, updates
   * and deletes (over the snapshot the transaction started from).
   */
  query(query: QuerySource): Promise<ReadResult> {
    return this.reader(query);
  }
}
