/**
 * Diffs from the row lineage (src/read/lineage-diff.ts) against the exact full compare:
 * over random histories (inserts, updates, deletes, delete + re-insert, rewrites of equal
 * values, compaction, a branch with writes of its own) every pair of states diffs the
 * same both ways; tables without stable row ids fall back to the full compare and say so.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Repo } from '../../src/index.js';
import { diffSnapshots, type DiffContext } from '../../src/read/diff.js';
import { decodeLz4Frame, decodeRoaring, decodeRowIds } from '../../src/storage/index.js';
import { fnv1a64Hex } from '../../src/schema/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const DIFF_PG = `
node Person { name: String @key  age: I32?  email: String? @unique }
node Company { name: String @key }
node Note { text: String }
edge WorksAt: Person -> Company @card(0..1)
edge Knows: Person -> Person
`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random commit on `branch`: inserts, updates (some to equal values), deletes, re-inserts. */
async function randomCommit(repo: Repo, rand: () => number, branch: string): Promise<void> {
  const live = (await repo.scan('Person', { branch })).map((r) => String(r.name));
  await repo.transaction(
    async (tx) => {
      const n = 1 + Math.floor(rand() * 6);
      const touched = new Set<string>();
      for (let i = 0; i < n; i++) {
        const name = `p${Math.floor(rand() * 30)}`;
        if (touched.has(name)) continue;
        touched.add(name);
        const exists = live.includes(name);
        const r = rand();
        if (!exists) tx.insert('Person', { name, age: Math.floor(rand() * 3) });
        else if (r < 0.4) await tx.update('Person', name, { age: Math.floor(rand() * 3) });
        else if (r < 0.6) await tx.delete('Person', name);
        else if (r < 0.8) {
          // Delete and insert again with maybe equal values: an update or no change.
          await tx.delete('Person', name);
          tx.insert('Person', { name, age: Math.floor(rand() * 3) });
        } else tx.insert('Note', { text: `n${Math.floor(rand() * 1000)}` });
      }
    },
    { branch },
  );
}

function fullCompareContext(repo: Repo): DiffContext {
  return { catalog: repo.catalog, openPinned: (k, p) => repo.openPinned(k, p) };
}

const view = (d: { changes: Array<{ tableKey: string; id: string; op: string }> }) =>
  d.changes.map((c) => `${c.tableKey} ${c.id} ${c.op}`).sort();

describe('diff from the row lineage', () => {
  it('equals the full compare between every pair of states of a random history', async () => {
    const repo = await makeRepo(tmp(), DIFF_PG);
    try {
      const rand = rng(7);
      // Lance drops the stable-row-id flag on a Lance branch forked from an empty version
      // (the diff then compares in full): give every table the branch writes a row first.
      await repo.transaction((tx) => {
        tx.insert('Note', { text: 'first' });
        tx.insert('Person', { name: 'p0', age: 0 });
      });
      const refs: string[] = [];
      for (let i = 0; i < 8; i++) {
        await randomCommit(repo, rand, 'main');
        refs.push(repo.snapshot().commitId);
        if (i === 3) {
          await repo.optimize();
          refs.push(repo.snapshot().commitId);
          repo.createBranch('feat');
        }
        if (i >= 3) {
          await randomCommit(repo, rand, 'feat');
          refs.push(repo.snapshot({ branch: 'feat' }).commitId);
        }
      }
      let lineageTables = 0;
      for (const a of refs)
        for (const b of refs) {
          const d = await repo.diff({ from: a, to: b });
          const full = await diffSnapshots(
            fullCompareContext(repo),
            repo.resolveRef(a),
            repo.resolveRef(b),
          );
          expect(view(d)).toEqual(view(full));
          expect(d.stats.methods.fallbacks).toEqual([]);
          expect(d.stats.methods.fullCompare).toBe(0);
          expect(d.stats.methods.fallbacks).toEqual([]);
          lineageTables += d.stats.methods.lineage;
        }
      expect(lineageTables).toBeGreaterThan(0);
    } finally {
      await repo.close();
    }
  });

  it('falls back to the full compare for a table without stable row ids, naming the reason', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, DIFF_PG);
    await repo.close();
    // A table from before stable row ids: the same empty table at version 1, made without them.
    const path = join(dir, 'nodes', `${fnv1a64Hex('Note')}.lance`);
    rmSync(path, { recursive: true });
    const lancedb = createRequire(import.meta.url)(
      '@lancedb/lancedb',
    ) as typeof import('@lancedb/lancedb');
    const conn = await lancedb.connect(join(dir, 'nodes'));
    const { arrowSchemaFor } = await import('../../src/schema/index.js');
    const { schemaToLance } = await import('../../src/storage/index.js');
    const again = await (await import('../../src/index.js')).Repo.open(dir);
    const def = again.typeDef('Note');
    (
      await conn.createEmptyTable(fnv1a64Hex('Note'), schemaToLance(arrowSchemaFor(def)), {
        mode: 'create',
      })
    ).close();
    conn.close();
    try {
      const c1 = await again.transaction((tx) => void tx.insert('Note', { text: 'a' }));
      const c2 = await again.transaction((tx) => void tx.insert('Note', { text: 'b' }));
      const d = await again.diff({ from: c1.commitId!, to: c2.commitId! });
      expect(d.stats.inserts).toBe(1);
      expect(d.stats.methods).toEqual({
        lineage: 0,
        fullCompare: 1,
        fallbacks: [
          {
            tableKey: 'node:Note',
            reason: 'the table has no stable row ids (created before them)',
          },
        ],
      });
    } finally {
      await again.close();
    }
  });
});

describe('Lance lineage formats', () => {
  it('decodes row-id sequences: ranges, holes, bitmaps and arrays', () => {
    const varint = (n: number): number[] => {
      const out: number[] = [];
      do {
        let b = n & 0x7f;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        out.push(b);
      } while (n > 0);
      return out;
    };
    const field = (f: number, payload: number[]) => [
      ...varint(f * 8 + 2),
      ...varint(payload.length),
      ...payload,
    ];
    const num = (f: number, v: number) => [...varint(f * 8), ...varint(v)];
    const u16 = (vals: number[]) => vals.flatMap((v) => [v & 0xff, v >> 8]);
    const seq = [
      ...field(1, field(1, [...num(1, 10), ...num(2, 13)])), // range 10..13
      ...field(
        1,
        field(2, [
          ...num(1, 20),
          ...num(2, 24),
          ...field(3, field(1, [...num(1, 20), ...field(2, u16([1, 2]))])),
        ]),
      ), // holes 21, 22
      ...field(1, field(3, [...num(1, 30), ...num(2, 36), ...field(3, [0b00100101])])), // bits 0, 2, 5
      ...field(1, field(4, field(2, [...num(1, 100), ...field(2, [7, 0, 0, 0, 9, 0, 0, 0])]))), // u32 from 100
    ];
    expect(decodeRowIds(Buffer.from(seq))).toEqual([10, 11, 12, 20, 23, 30, 32, 35, 107, 109]);
  });

  it('decodes portable Roaring bitmaps: array, bitmap and run containers', () => {
    // No runs: cookie 12346, 2 containers (key 0: array {1, 5}; key 1: bitmap with 4097 values).
    const arr = Buffer.alloc(8 + 8 + 8 + 4 + 8192);
    arr.writeUInt32LE(12346, 0);
    arr.writeUInt32LE(2, 4);
    arr.writeUInt16LE(0, 8);
    arr.writeUInt16LE(1, 10);
    arr.writeUInt16LE(1, 12);
    arr.writeUInt16LE(4096, 14);
    arr.writeUInt16LE(1, 24);
    arr.writeUInt16LE(5, 26);
    for (let v = 0; v < 4097; v++) arr[28 + (v >> 3)] |= 1 << (v & 7);
    const out = decodeRoaring(arr);
    expect(out.slice(0, 3)).toEqual([1, 5, 65536]);
    expect(out.length).toBe(4099);
    expect(out[out.length - 1]).toBe(65536 + 4096);
    // Runs: cookie 12347 | (1 container - 1) << 16, run flag set, one run 7..9.
    const run = Buffer.alloc(4 + 1 + 4 + 2 + 4);
    run.writeUInt32LE(12347, 0);
    run[4] = 1;
    run.writeUInt16LE(0, 5);
    run.writeUInt16LE(2, 7);
    run.writeUInt16LE(1, 9);
    run.writeUInt16LE(7, 11);
    run.writeUInt16LE(2, 13);
    expect(decodeRoaring(run)).toEqual([7, 8, 9]);
  });

  it('decodes LZ4 frames: literals, back-references and stored blocks', () => {
    const head = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
    const block = [0x32, 0x61, 0x62, 0x63, 0x03, 0x00];
    const stored = [0x78, 0x79];
    const frame = Buffer.from([
      ...head,
      block.length,
      0,
      0,
      0,
      ...block,
      stored.length,
      0,
      0,
      0x80,
      ...stored,
      0,
      0,
      0,
      0,
    ]);
    expect(decodeLz4Frame(frame, 11).toString('latin1')).toBe('abcabcabcxy');
  });
});
