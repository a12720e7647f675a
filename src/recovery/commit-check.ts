/**
 * Recovery never publishes what it cannot read, and never wedges (docs/recovery.md
 * "Before a roll-forward"):
 * - HEAD is read from Lance, or, when Lance cannot open the newest version (its manifest
 *   truncated or garbled), from the manifests' file names;
 * - a table is rolled forward only when every file its committed version names exists
 *   with the size its manifest records, and the files the commit created still have the
 *   size and sha256 its `table.committed` recorded (write/protocol/commit-record.ts);
 * - a rollback whose Lance restore cannot run over a damaged unpublished version removes
 *   the unpublished versions' manifests instead, so HEAD is the pin again.
 */
import { LancelogError } from '../errors.js';
import type { FileDigest } from '../journal/index.js';
import type { TypeDef } from '../schema/types.js';
import type { TableStore } from '../storage/index.js';

export interface HeadObservation {
  /** null: the Lance branch the intent names does not exist (a fork never made). */
  head: number | null;
  /** Why Lance could not open the newest version (then `head` is the newest by file name). */
  unreadable: string | null;
}

/** The table's Lance HEAD on `lanceBranch`, also when its newest manifest is damaged. */
export async function observeHead(
  store: TableStore,
  def: TypeDef,
  lanceBranch: string | null,
): Promise<HeadObservation> {
  try {
    return {
      head: await store.headVersion(def.tableKey, def.tablePath, lanceBranch ?? undefined),
      unreadable: null,
    };
  } catch (err) {
    if (!(err instanceof LancelogError)) throw err;
    // A fork the crashed writer never got to create: its HEAD is the fork base.
    if (lanceBranch !== null && err.code === 'BranchNotFound')
      return { head: null, unreadable: null };
    if (err.code !== 'StorageFailure') throw err;
    const listed = await store.lineFiles(def.tableKey, def.tablePath, lanceBranch).listedHead();
    if (listed === null) throw err;
    return { head: listed, unreadable: err.message };
  }
}

/**
 * Why the committed version `head` must not be rolled forward; empty when its files
 * check out. `record`: the files the crashed writer recorded for its commit.
 */
export async function commitFileProblems(
  store: TableStore,
  def: TypeDef,
  lanceBranch: string | null,
  head: number,
  record: { version: number; files: FileDigest[] } | undefined,
): Promise<string[]> {
  if (record === undefined || record.version !== head)
    return [
      `no checksums of the files version ${head} was written with are recorded (the writer died before recording them, or a power loss dropped the record)`,
    ];
  const recorded = new Map(record.files.map((f) => [f.path, f]));
  const problems = await store
    .lineFiles(def.tableKey, def.tablePath, lanceBranch)
    .check(head, recorded, { hash: true });
  return problems.map((p) => p.message);
}

export interface RolledBackTable {
  /** The version the Lance restore landed at; null when none was needed. */
  restored: number | null;
  /** Manifests removed instead of a restore (relative to the table directory). */
  dropped: string[];
}

/**
 * Puts a table's Lance HEAD back at its pin: a Lance restore (a new version with the
 * pin's content) — or, when Lance cannot open the newest version or the restore fails
 * on the damaged unpublished versions, by removing their manifests (nothing published
 * names them, and the operation is being rolled back).
 */
export async function rollBackTable(
  store: TableStore,
  def: TypeDef,
  t: { pin: number; lanceBranch: string | null; headUnreadable: boolean },
): Promise<RolledBackTable> {
  const drop = async (): Promise<RolledBackTable> => {
    const dropped = await store
      .lineFiles(def.tableKey, def.tablePath, t.lanceBranch)
      .dropVersionsAbove(t.pin);
    store.dropWriter(def.tablePath, t.lanceBranch ?? undefined);
    return { restored: null, dropped };
  };
  if (t.headUnreadable) return drop();
  try {
    return {
      restored: await store.restoreTo(def.tableKey, def.tablePath, t.pin, t.lanceBranch),
      dropped: [],
    };
  } catch (err) {
    // Not a full disk or a read-only file (those are no damage): Lance failed on what
    // the unpublished versions left.
    if (!(err instanceof LancelogError) || err.code !== 'StorageFailure') throw err;
    return drop();
  }
}
