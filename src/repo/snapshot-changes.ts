/**
 * The entity changes from one snapshot to any other — two commits of one branch, or of
 * two branches — with their before and after images, in a commit block's frozen order
 * (change-blocks.ts). A commit's own changes are `commitChanges` (changes.ts); this is
 * the same derivation between an arbitrary pair, for the server's `GET /diff` (the
 * Explorer's commit diff). Like a schema change's commit, a pair that straddles a column
 * change is refused (SchemaBoundary) rather than turned into entity changes.
 */
import type { Snapshot } from '../journal/index.js';
import { commitBlockChanges, type ChangeFilter, type EntityChange } from './change-blocks.js';
import { checkFilter, type ChangesRepo } from './changes.js';

export async function snapshotChanges(
  repo: ChangesRepo,
  from: Snapshot,
  to: Snapshot,
  filter: ChangeFilter = {},
): Promise<EntityChange[]> {
  checkFilter(repo.catalog, filter);
  const ctx = { catalog: repo.catalog, store: repo.store, openPinned: repo.openPinned.bind(repo) };
  return commitBlockChanges(ctx, {
    commitId: to.commitId,
    parent: from,
    child: to,
    // Checks every changed table for a column change, as a SchemaApply commit's block does.
    opKind: 'SchemaApply',
    filter,
  });
}
