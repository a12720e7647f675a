/**
 * The Repo's table handles at pinned versions: a pinned version never changes, so a
 * handle is opened once per (table, Lance branch, version) and kept for the Repo's
 * life (until `cleanup` removes versions); and the table summary built from them.
 */
import { allTypes } from './create.js';
import type { Catalog, TypeDef } from '../schema/types.js';
import type { Snapshot, TablePin } from '../journal/index.js';
import type { TableHandle, TableStore } from '../storage/index.js';
import { pinOf } from './snapshots.js';
import type { TableSummary } from './types.js';

export class PinnedHandles {
  private readonly handles = new Map<string, Promise<TableHandle>>();

  constructor(private readonly store: TableStore) {}

  open(def: TypeDef, pin: TablePin): Promise<TableHandle> {
    const key = `${def.tablePath}\u0000${pin.lanceBranch ?? ''}\u0000${pin.version}`;
    let handle = this.handles.get(key);
    if (!handle) {
      handle = this.store.openTable(def.tableKey, def.tablePath, {
        version: pin.version,
        ...(pin.lanceBranch ? { branch: pin.lanceBranch } : {}),
      });
      this.handles.set(key, handle);
      handle.catch(() => this.handles.delete(key));
    }
    return handle;
  }

  /** Forgets every handle (not closed: a query of this process may still be using one). */
  clear(): void {
    this.handles.clear();
  }

  /** Closes every handle (the Repo closes). */
  async closeAll(): Promise<void> {
    for (const h of this.handles.values()) {
      try {
        (await h).close();
      } catch {
        /* a failed open has nothing to close */
      }
    }
    this.handles.clear();
  }
}

/** Every table of a snapshot: pinned version, Lance branch and rows. */
export async function tableSummaries(
  catalog: Catalog,
  snap: Snapshot,
  openPinned: (tableKey: string, pin: TablePin) => Promise<TableHandle>,
): Promise<TableSummary[]> {
  const out: TableSummary[] = [];
  for (const def of allTypes(catalog)) {
    const pin = pinOf(snap, def.tableKey);
    const table = await openPinned(def.tableKey, pin);
    out.push({
      tableKey: def.tableKey,
      tablePath: def.tablePath,
      kind: def.kind,
      name: def.name,
      pinnedVersion: pin.version,
      lanceBranch: pin.lanceBranch,
      rows: await table.countRows(),
    });
  }
  return out;
}
