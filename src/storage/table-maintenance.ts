/**
 * Lance compaction and version GC of one table (the bodies of `TableHandle.compact`
 * and `TableHandle.pruneOlderThan`; their contracts are documented on the interface).
 */
import type { Table as LanceTable } from '@lancedb/lancedb';
import { guard, type TableRef } from './errors.js';
import type { CompactResult, PruneResult } from './table-types.js';

/** Tags `pruneOlderThan` sets on the versions it must not remove. */
const GUARD_TAG = 'lancelog-guard-v';

/** A cut-off before any Lance table existed: lancedb's optimize then removes no version. */
const NO_VERSION_IS_THAT_OLD = new Date(Date.UTC(2000, 0, 1));

export async function compactTable(
  table: LanceTable,
  ref: TableRef,
  extra: Record<string, unknown>,
): Promise<CompactResult> {
  const res = await guard(
    ref,
    'compact',
    () => table.optimize({ cleanupOlderThan: NO_VERSION_IS_THAT_OLD }),
    undefined,
    extra,
  );
  const version = await guard(ref, 'compact', () => table.version(), undefined, extra);
  return {
    version,
    fragmentsRemoved: res.compaction.fragmentsRemoved,
    fragmentsAdded: res.compaction.fragmentsAdded,
  };
}

export async function pruneTable(
  table: LanceTable,
  ref: TableRef,
  olderThan: Date,
  guardVersions: number[],
  extra: Record<string, unknown>,
): Promise<PruneResult> {
  const tags = await guard(ref, 'prune', () => table.tags(), undefined, extra);
  const stale = Object.keys(await guard(ref, 'prune', () => tags.list(), undefined, extra)).filter(
    (t) => t.startsWith(GUARD_TAG),
  );
  for (const t of stale) await guard(ref, 'prune', () => tags.delete(t), undefined, extra);
  for (const v of guardVersions)
    await guard(ref, 'prune', () => tags.create(`${GUARD_TAG}${v}`, v), undefined, extra);
  try {
    const res = await guard(
      ref,
      'prune',
      () => table.optimize({ cleanupOlderThan: olderThan }),
      undefined,
      extra,
    );
    const version = await guard(ref, 'prune', () => table.version(), undefined, extra);
    return {
      version,
      bytesRemoved: res.prune.bytesRemoved,
      versionsRemoved: res.prune.oldVersionsRemoved,
      fragmentsRemoved: res.compaction.fragmentsRemoved,
      fragmentsAdded: res.compaction.fragmentsAdded,
    };
  } finally {
    for (const v of guardVersions) await tags.delete(`${GUARD_TAG}${v}`).catch(() => undefined);
  }
}
