/**
 * The record of what a Lance commit wrote (docs/recovery.md "Before a roll-forward"):
 * the size and sha256 of every file the new version needs that the pinned one did not
 * (manifest, transaction, data, deletion and index files), read from the page cache
 * right after the commit (on S3: GETs of the objects it PUT, storage/table-files.ts) and journaled as the commit's `table.committed`. Recovery rolls
 * a crashed operation's table forward only when these still match; `lancelog doctor
 * --deep` checks them for every pinned version.
 *
 * The transaction is not fsync'd: only a roll-forward needs the record, and a power
 * loss that drops it leaves recovery to roll the operation back, which is always
 * allowed for an operation nothing acknowledged. The publish's fsync makes it durable.
 */
import type { Journal } from '../../journal/index.js';
import type { TableStore } from '../../storage/index.js';

/** A table's versions after `from` up to `to` (a `LanceCommitRange` of run.ts fits). */
export interface CommitRange {
  tableKey: string;
  tablePath: string;
  lanceBranch: string | null;
  from: number;
  to: number;
}

/** Journals `range.to`'s `table.committed` with the digests of the files it created. */
export async function recordCommit(
  store: TableStore,
  journal: Journal,
  opId: string,
  range: CommitRange,
): Promise<void> {
  const files = await store
    .lineFiles(range.tableKey, range.tablePath, range.lanceBranch)
    .digest(range.from, range.to);
  journal.tableCommitted(opId, range.tableKey, range.to, { files, durable: false });
}

/**
 * The restores of a rollback (in-process, recovery, doctor): each one's record, before
 * its publish. Best effort: a restore whose files cannot be read back now (the disk
 * failing under a rollback) is still published, and the scrub reports it as written
 * without a checksum rather than the rollback failing.
 */
export async function recordCommits(
  store: TableStore,
  journal: Journal,
  opId: string,
  ranges: CommitRange[],
): Promise<void> {
  for (const r of ranges) {
    if (r.to === r.from) continue;
    let files;
    try {
      files = await store.lineFiles(r.tableKey, r.tablePath, r.lanceBranch).digest(r.from, r.to);
    } catch {
      continue;
    }
    journal.tableCommitted(opId, r.tableKey, r.to, { files, durable: false });
  }
}
