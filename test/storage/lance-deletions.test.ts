/**
 * Lance's deletion vectors as the graph index reads them (src/storage/lance-deletions.ts),
 * on files real Lance commits wrote: a few deletions (an Arrow file, buffers stored as
 * is), more (an Arrow file, ZSTD-compressed buffers), more than 5,000 (a roaring bitmap);
 * and the fragments a manifest lists (lance-manifest.ts `readFragments`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDeletionVector, TableStore } from '../../src/storage/index.js';
import { decodeArrowDeletions, decodeRoaring } from '../../src/storage/lance-deletion-file.js';

const REF = { tableKey: 'edge:Knows', tablePath: 'edges/0011223344556677' };
const schema = new arrow.Schema([new arrow.Field('id', new arrow.Utf8(), false)]);
const ROWS = 12_000;
const idOf = (i: number): string => `e${String(i).padStart(6, '0')}`;

describe('Lance deletion vectors', () => {
  let dir: string;
  let store: TableStore;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lancelog-deletions-'));
    store = await TableStore.open(dir);
    await store.createTable(REF.tableKey, REF.tablePath, schema);
    const h = await store.openTable(REF.tableKey, REF.tablePath);
    await h.append(Array.from({ length: ROWS }, (_, i) => ({ id: idOf(i) })));
    h.close();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Deletes rows at `offsets` (one commit) and reads the version's deletion vector back. */
  async function deleteAndRead(
    offsets: number[],
  ): Promise<{ kind: string; rows: number[]; bytes: number }> {
    const h = await store.openTable(REF.tableKey, REF.tablePath);
    const { version } = await h.mergeInsert({ upserts: [], deleteIds: offsets.map(idOf) });
    h.close();
    const fragments = await store.fragmentsAt(REF.tableKey, REF.tablePath, version);
    expect(fragments).toHaveLength(1);
    const [f] = fragments;
    expect(f.physicalRows).toBe(ROWS);
    expect(f.dataFiles).toHaveLength(1);
    const del = f.deletion!;
    expect(del.rows).toBe(offsets.length);
    return {
      kind: del.kind,
      rows: [...(await readDeletionVector(del))],
      bytes: readFileSync(del.path).length,
    };
  }

  const spread = (n: number, step: number): number[] =>
    Array.from({ length: n }, (_, i) => i * step + 1);

  it('a few deletions: an Arrow file', async () => {
    const got = await deleteAndRead([7, 3, 11_999]);
    expect([got.kind, got.rows]).toEqual(['arrow', [3, 7, 11_999]]);
  });

  it('a thousand: an Arrow file with ZSTD-compressed buffers', async () => {
    const offsets = spread(1000, 7);
    const got = await deleteAndRead(offsets);
    expect([got.kind, got.rows]).toEqual(['arrow', offsets]);
    // Smaller than the 4,000 bytes of the values: the buffer was compressed.
    expect(got.bytes).toBeLessThan(4000);
  });

  it('more than 5,000: a roaring bitmap (array, bitmap and run containers)', async () => {
    // 0..4095 contiguous (a run), then every other row up to 12,000 (an array per chunk).
    const offsets = [
      ...Array.from({ length: 4096 }, (_, i) => i),
      ...spread(3500, 2).map((x) => x + 4200),
    ];
    const got = await deleteAndRead(offsets);
    expect(got.kind).toBe('bitmap');
    expect(got.rows).toEqual([...new Set(offsets)].sort((a, b) => a - b));
  });

  it('a damaged file is an error, never a wrong answer', async () => {
    const h = await store.openTable(REF.tableKey, REF.tablePath);
    const { version } = await h.mergeInsert({ upserts: [], deleteIds: spread(1000, 7).map(idOf) });
    h.close();
    const [f] = await store.fragmentsAt(REF.tableKey, REF.tablePath, version);
    const bytes = readFileSync(f.deletion!.path);
    expect(() => decodeArrowDeletions(Buffer.from('not arrow at all'))).toThrow();
    expect(() => decodeRoaring(Buffer.from([1, 2, 3]))).toThrow();
    // Cut inside its record batch: refused (fewer rows than the manifest records, or undecodable).
    writeFileSync(f.deletion!.path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readDeletionVector(f.deletion!)).rejects.toThrow();
    writeFileSync(f.deletion!.path, bytes.subarray(0, 100));
    await expect(readDeletionVector(f.deletion!)).rejects.toThrow();
  });
});
