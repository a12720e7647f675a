/**
 * The durability step before every publish (docs/recovery.md "Durability"): lancedb
 * never fsyncs, so before the journal pins a Lance version, every file the operation's
 * Lance commits created — data, deletion, transaction and index files, version
 * manifests, a new Lance branch's fork manifest and ref — and the directories naming
 * them are fsync'd, all tables in parallel. Used by the write protocol (commits and
 * in-process rollbacks) and by recovery (restores and roll-forwards).
 */
import type { TableStore } from '../../storage/index.js';

export interface LanceCommitRange {
  tableKey: string;
  tablePath: string;
  /** Lance branch; null for the table's main line. */
  lanceBranch: string | null;
  /** The published version the commits started from. */
  from: number;
  /** The version about to be published. */
  to: number;
  /** The Lance branch was forked after `from` was published (its fork is not durable yet). */
  forked: boolean;
}

export async function syncLanceCommit(
  store: TableStore,
  ranges: LanceCommitRange[],
): Promise<void> {
  await Promise.all(
    ranges
      .filter((r) => r.to !== r.from || r.forked)
      .map((r) =>
        store.syncVersions(r.tableKey, r.tablePath, {
          ...(r.lanceBranch !== null ? { branch: r.lanceBranch } : {}),
          fromVersion: r.from,
          toVersion: r.to,
          forked: r.forked,
        }),
      ),
  );
}
