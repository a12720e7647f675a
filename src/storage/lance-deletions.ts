/**
 * A fragment's deletion vector as the graph index reads it: the row offsets a version
 * deleted, ascending, from the file its manifest names (lance-manifest.ts
 * `readFragments`), decoded by lance-deletion-file.ts (an Arrow IPC file of one UInt32
 * column, or a roaring bitmap). The graph index learns from it which edges a later
 * version deleted without reading the edge table.
 */
import { readFile } from 'node:fs/promises';
import { decodeArrowDeletions, decodeRoaring } from './lance-deletion-file.js';
import type { FragmentInfo, ReadFile } from './lance-manifest.js';

/** The row offsets a fragment's deletion vector deletes, ascending; a damaged file throws. */
export async function readDeletionVector(
  deletion: NonNullable<FragmentInfo['deletion']>,
  read: ReadFile = readFile,
): Promise<Uint32Array> {
  const buf = await read(deletion.path);
  const decoded = deletion.kind === 'bitmap' ? decodeRoaring(buf) : decodeArrowDeletions(buf);
  const rows = Uint32Array.from(decoded).sort();
  if (deletion.rows > 0 && rows.length !== deletion.rows)
    throw new RangeError(
      `${deletion.path} holds ${rows.length} rows, its manifest says ${deletion.rows}`,
    );
  return rows;
}
