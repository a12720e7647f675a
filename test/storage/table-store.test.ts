import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { TableStore, type TableHandle } from '../../src/storage/index.js';
import { LancelogError, type ErrorCode } from '../../src/errors.js';
import { ERROR_CODES } from '../../src/error-codes.js';

const KEY = 'node:Person';
const TP = 'nodes/9a3f00aa11bb22cc';

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
  new arrow.Field('age', new arrow.Int32(), true),
]);

const allTypes = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), false),
  new arrow.Field('blob', new arrow.LargeBinary(), true),
  new arrow.Field('flag', new arrow.Bool(), true),
  new arrow.Field('i32', new arrow.Int32(), true),
  new arrow.Field('i64', new arrow.Int64(), true),
  new arrow.Field('u32', new arrow.Uint32(), true),
  new arrow.Field('u64', new arrow.Uint64(), true),
  new arrow.Field('f32', new arrow.Float32(), true),
  new arrow.Field('f64', new arrow.Float64(), true),
  new arrow.Field('day', new arrow.DateDay(), true),
  new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
  new arrow.Field('tags', new arrow.List(new arrow.Field('item', new arrow.Utf8(), true)), true),
  new arrow.Field(
    'vec',
    new arrow.FixedSizeList(3, new arrow.Field('item', new arrow.Float32(), true)),
    true,
  ),
]);

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id as string).sort();

/** A StorageError, or for a branch code its table class (LancelogError, shared with the journal). */
async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<LancelogError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LancelogError);
  expect((err as LancelogError).code).toBe(code);
  expect((err as LancelogError).constructor.name).toBe(ERROR_CODES[code].classes[0]);
  return err as LancelogError;
}

describe('TableStore', () => {
  let dir: string;
  let store: TableStore;
  const handles: TableHandle[] = [];
  const track = (h: TableHandle) => (handles.push(h), h);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lancelog-storage-'));
    store = await TableStore.open(dir);
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) h.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function seeded(): Promise<{ head: TableHandle; v0: number }> {
    const v0 = await store.createTable(KEY, TP, schema);
    const head = track(await store.openTable(KEY, TP));
    return { head, v0 };
  }

  it('creates an empty table at version 1 and refuses to create it twice', async () => {
    expect(await store.tableExists(TP)).toBe(false);
    const v = await store.createTable(KEY, TP, schema);
    expect(v).toBe(1);
    expect(await store.tableExists(TP)).toBe(true);
    expect(await store.headVersion(KEY, TP)).toBe(1);
    const h = track(await store.openTable(KEY, TP));
    expect(await h.countRows()).toBe(0);
    expect((await h.schema()).fields.map((f) => f.name)).toEqual(['id', 'name', 'age']);
    expect(await h.schema()).toBeInstanceOf(arrow.Schema);
    const err = await expectCode(store.createTable(KEY, TP, schema), 'TableExists');
    expect(err.details).toMatchObject({ table_key: KEY, table_path: TP });
  });

  it('each commit primitive advances HEAD by exactly one version', async () => {
    const { head, v0 } = await seeded();
    const v1 = await head.append([
      { id: 'a', name: 'A', age: 1 },
      { id: 'b', name: 'B', age: 2 },
    ]);
    expect(v1).toBe(v0 + 1);
    const up = await head.mergeInsert({
      upserts: [
        { id: 'a', name: 'A2', age: 10 },
        { id: 'c', name: 'C', age: 3 },
      ],
      deleteIds: [],
    });
    expect(up).toEqual({ version: v1 + 1, inserted: 1, updated: 1, deleted: 0 });
    const del = await head.mergeInsert({ upserts: [], deleteIds: ['b', 'does-not-exist'] });
    expect(del).toEqual({ version: v1 + 2, inserted: 0, updated: 0, deleted: 1 });
    const noop = await head.mergeInsert({ upserts: [], deleteIds: ['nobody'] });
    expect(noop.version).toBe(v1 + 3); // a delete matching nothing is still one commit
    const restored = await head.restore(v1);
    expect(restored).toBe(v1 + 4);
    expect(await head.version()).toBe(v1 + 4);
    expect(await store.headVersion(KEY, TP)).toBe(v1 + 4);
    const vs = await head.listVersions();
    expect(vs.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const v of vs) expect(v.timestamp).toBeInstanceOf(Date);
  });

  it('isHead answers from two manifest lookups and agrees with headVersion, on main and on a branch', async () => {
    const { head, v0 } = await seeded();
    expect(await store.isHead(KEY, TP, v0)).toBe(true);
    const v1 = await head.append([{ id: 'a', name: 'A', age: 1 }]);
    expect(await store.isHead(KEY, TP, v0)).toBe(false);
    expect(await store.isHead(KEY, TP, v1)).toBe(true);
    expect(await store.isHead(KEY, TP, v1 + 1)).toBe(false); // no such version yet: the listing decides
    expect(await store.isHead(KEY, TP, 0)).toBe(false);
    await store.createBranch(KEY, TP, 'feature', v0);
    expect(await store.isHead(KEY, TP, v0, 'feature')).toBe(true);
    const b = track(await store.openTable(KEY, TP, { branch: 'feature' }));
    const bv = await b.append([{ id: 'x', name: 'X', age: 2 }]);
    expect(await store.isHead(KEY, TP, v0, 'feature')).toBe(false);
    expect(await store.isHead(KEY, TP, bv, 'feature')).toBe(true);
    expect(await store.isHead(KEY, TP, v1)).toBe(true); // main did not move
  });

  it('writerAt keeps one writer open across commits and reloads it when HEAD moved elsewhere', async () => {
    const { head, v0 } = await seeded();
    const w = await store.writerAt(KEY, TP, v0);
    const v1 = await w.append([{ id: 'a', name: 'A', age: 1 }]);
    w.close(); // a no-op: the store keeps it
    const again = await store.writerAt(KEY, TP, v1);
    expect(again).toBe(w);
    // A handle pinned at the latest version shares the writer's (non-refreshing) connection
    // without a checkout: it must still not see the writer's next commit.
    const pinned = track(await store.openTable(KEY, TP, { version: v1 }));
    await again.append([{ id: 'later', name: 'L', age: 0 }]);
    expect(ids(await pinned.scan())).toEqual(['a']);
    expect(await pinned.version()).toBe(v1);
    await head.restore(v1); // back to one row, as a new version
    const vr = await head.version();
    expect(await (await store.writerAt(KEY, TP, vr)).version()).toBe(vr);
    expect(ids(await pinned.scan())).toEqual(['a']);
    // Another handle commits: the kept writer does not notice by itself, writerAt reloads it.
    const v2 = await head.append([{ id: 'b', name: 'B', age: 2 }]);
    const w2 = await store.writerAt(KEY, TP, v2);
    expect(w2).toBe(w);
    expect(await w2.version()).toBe(v2);
    expect(
      (await w2.mergeInsert({ upserts: [{ id: 'a', name: 'A2', age: 3 }], deleteIds: ['b'] }))
        .version,
    ).toBe(v2 + 1);
    expect(ids(await head.scan())).toEqual(['a']);
    // Dropped: the next writerAt opens a new one.
    store.dropWriter(TP);
    const w3 = await store.writerAt(KEY, TP, v2 + 1);
    expect(w3).not.toBe(w);
    expect(await w3.version()).toBe(v2 + 1);
    // Branch writers are separate from main's.
    await store.createBranch(KEY, TP, 'feature', v2 + 1);
    const wb = await store.writerAt(KEY, TP, v2 + 1, 'feature');
    expect(wb).not.toBe(w3);
    await wb.append([{ id: 'z', name: 'Z', age: 9 }]);
    expect(ids(await head.scan())).toEqual(['a']);
    await expectCode(store.writerAt(KEY, TP, 1, 'nope'), 'BranchNotFound');
  });

  it('upsert + delete in one merge-insert is one version with the right counts', async () => {
    const { head } = await seeded();
    const v1 = await head.append([
      { id: 'a', name: 'A', age: 1 },
      { id: 'b', name: 'B', age: 2 },
      { id: "o'hara", name: 'quote', age: 3 },
    ]);
    const res = await head.mergeInsert({
      upserts: [
        { id: 'a', name: 'A2', age: 11 },
        { id: 'n', name: 'N', age: 5 },
      ],
      deleteIds: ['b', "o'hara", 'ghost'],
    });
    expect(res).toEqual({ version: v1 + 1, inserted: 1, updated: 1, deleted: 2 });
    const rows = await head.scan();
    expect(ids(rows)).toEqual(['a', 'n']);
    expect(rows.find((r) => r.id === 'a')).toEqual({ id: 'a', name: 'A2', age: 11 });
  });

  it('a large delete list is still one predicate and one version', async () => {
    const { head } = await seeded();
    const v1 = await head.append(
      Array.from({ length: 50 }, (_, i) => ({ id: `id-${i}`, name: null, age: i })),
    );
    const many = Array.from({ length: 5000 }, (_, i) => `id-${i * 2}`); // hits the 25 even ids
    const res = await head.mergeInsert({
      upserts: [{ id: 'x', name: 'X', age: 0 }],
      deleteIds: many,
    });
    expect(res).toEqual({ version: v1 + 1, inserted: 1, updated: 0, deleted: 25 });
    const res2 = await head.mergeInsert({
      upserts: [],
      deleteIds: Array.from({ length: 5000 }, (_, i) => `id-${i * 2 + 1}`),
    });
    expect(res2).toEqual({ version: v1 + 2, inserted: 0, updated: 0, deleted: 25 });
    expect(await head.countRows()).toBe(1);
  });

  it('rejects empty commits and writes through a pinned handle', async () => {
    const { head, v0 } = await seeded();
    await expectCode(head.mergeInsert({ upserts: [], deleteIds: [] }), 'EmptyCommit');
    await expectCode(head.append([]), 'EmptyCommit');
    // Lance would insert a repeated new id twice; we refuse instead.
    await expectCode(
      head.mergeInsert({ upserts: [{ id: 'd' }, { id: 'd' }], deleteIds: [] }),
      'DuplicateIds',
    );
    expect(await head.version()).toBe(v0);
    const pinned = track(await store.openTable(KEY, TP, { version: v0 }));
    expect(pinned.pinnedVersion).toBe(v0);
    await expectCode(pinned.append([{ id: 'z' }]), 'ReadOnlyHandle');
    await expectCode(pinned.mergeInsert({ upserts: [], deleteIds: ['z'] }), 'ReadOnlyHandle');
    await expectCode(pinned.restore(v0), 'ReadOnlyHandle');
    expect(await head.version()).toBe(v0);
  });

  it('a handle pinned at v keeps seeing exactly v while HEAD moves on', async () => {
    const { head } = await seeded();
    const v1 = await head.append([
      { id: 'a', name: 'A', age: 1 },
      { id: 'b', name: 'B', age: 2 },
    ]);
    const pinned = track(await store.openTable(KEY, TP, { version: v1 }));
    const tracker = track(await store.openTable(KEY, TP));
    await head.mergeInsert({ upserts: [{ id: 'c', name: 'C', age: 3 }], deleteIds: ['a'] });
    await head.append([{ id: 'd', name: 'D', age: 4 }]);
    expect(await pinned.version()).toBe(v1);
    expect(ids(await pinned.scan())).toEqual(['a', 'b']);
    expect(await pinned.countRows()).toBe(2);
    // An unpinned handle opened earlier follows HEAD written through another handle.
    expect(await tracker.version()).toBe(v1 + 2);
    expect(ids(await tracker.scan())).toEqual(['b', 'c', 'd']);
  });

  it('restore makes an old version the new HEAD', async () => {
    const { head } = await seeded();
    const v1 = await head.append([{ id: 'a', name: 'A', age: 1 }]);
    await head.mergeInsert({ upserts: [], deleteIds: ['a'] });
    expect(await head.countRows()).toBe(0);
    const v = await head.restore(v1);
    expect(v).toBe(v1 + 2);
    expect(await head.scan()).toEqual([{ id: 'a', name: 'A', age: 1 }]);
    // The handle tracks HEAD again after restoring: it can keep writing.
    expect(await head.append([{ id: 'b', name: 'B', age: 2 }])).toBe(v + 1);
    await expectCode(head.restore(999), 'VersionNotFound');
    expect(await head.version()).toBe(v + 1);
  });

  it('gives typed errors for missing tables and versions', async () => {
    const e1 = await expectCode(store.openTable(KEY, 'nodes/missing'), 'TableNotFound');
    expect(e1.details).toMatchObject({ table_key: KEY, table_path: 'nodes/missing' });
    await expectCode(store.headVersion(KEY, 'edges/missing'), 'TableNotFound');
    await store.createTable(KEY, TP, schema);
    const e2 = await expectCode(store.openTable(KEY, TP, { version: 42 }), 'VersionNotFound');
    expect(e2.details).toMatchObject({ table_key: KEY, table_path: TP, version: 42 });
    await expectCode(store.openTable(KEY, TP, { branch: 'nope' }), 'BranchNotFound');
    await expectCode(store.openTable(KEY, '../escape'), 'InvalidTablePath');
  });

  it('filters, projects and limits scans; scanBatches yields project-arrow batches', async () => {
    const { head } = await seeded();
    await head.append(
      Array.from({ length: 10 }, (_, i) => ({ id: `p${i}`, name: `N${i}`, age: i })),
    );
    expect(await head.countRows('age >= 5')).toBe(5);
    const rows = await head.scan({ where: 'age < 3', columns: ['id', 'age'] });
    expect(rows.sort((a, b) => (a.age as number) - (b.age as number))).toEqual([
      { id: 'p0', age: 0 },
      { id: 'p1', age: 1 },
      { id: 'p2', age: 2 },
    ]);
    expect((await head.scan({ limit: 4 })).length).toBe(4);
    let n = 0;
    for await (const b of head.scanBatches({ where: "name <> 'N0'" })) {
      expect(b).toBeInstanceOf(arrow.RecordBatch);
      n += b.numRows;
    }
    expect(n).toBe(9);
  });

  it('round-trips every catalog column type through append + scan (rows and arrow tables)', async () => {
    const ATP = 'nodes/alltypes';
    await store.createTable('node:All', ATP, allTypes);
    const h = track(await store.openTable('node:All', ATP));
    const ts = new Date('2024-03-04T05:06:07.891Z');
    await h.append([
      {
        id: 'full',
        blob: new Uint8Array([0, 1, 255]),
        flag: true,
        i32: -7,
        i64: 9007199254740993n,
        u32: 4000000000,
        u64: 18446744073709551615n,
        f32: 1.5,
        f64: Math.PI,
        day: new Date('2024-03-04T00:00:00Z'),
        ts,
        tags: ['x', "y'z"],
        vec: [0.5, 1, -2],
      },
      // Numbers for 64-bit ints and ISO strings for dates are accepted too.
      {
        id: 'coerced',
        i64: 42,
        day: '2020-02-29',
        ts: '2024-03-04T05:06:07.891Z',
        tags: [],
        vec: new Float32Array([1, 2, 3]),
      },
      { id: 'nulls' }, // every nullable column missing -> null
    ]);
    const rows = Object.fromEntries((await h.scan()).map((r) => [r.id as string, r]));
    expect(rows.full).toEqual({
      id: 'full',
      blob: new Uint8Array([0, 1, 255]),
      flag: true,
      i32: -7,
      i64: 9007199254740993n,
      u32: 4000000000,
      u64: 18446744073709551615n,
      f32: 1.5,
      f64: Math.PI,
      day: new Date('2024-03-04T00:00:00Z'),
      ts,
      tags: ['x', "y'z"],
      vec: [0.5, 1, -2],
    });
    expect(rows.coerced).toMatchObject({
      i64: 42n,
      day: new Date('2020-02-29T00:00:00Z'),
      ts,
      tags: [],
      vec: [1, 2, 3],
    });
    for (const [k, v] of Object.entries(rows.nulls)) if (k !== 'id') expect(v, k).toBeNull();

    // Arrow tables built with the project's arrow instance (incl. LargeBinary) are accepted.
    const schemaBack = await h.schema();
    expect(schemaBack.fields.map((f) => String(f.type))).toEqual(
      allTypes.fields.map((f) => String(f.type)),
    );
    const batches: arrow.RecordBatch[] = [];
    for await (const b of h.scanBatches({ where: "id = 'full'" })) batches.push(b);
    const t = new arrow.Table(batches);
    await h.mergeInsert({ upserts: t, deleteIds: ['nulls'] });
    expect(await h.countRows()).toBe(2);
    expect((await h.scan({ where: "id = 'full'" }))[0]).toEqual(rows.full);
    await expectCode(h.append([{ id: 'bad', nosuchcolumn: 1 }]), 'InvalidRows');
    await expectCode(h.append([{ id: 'bad', vec: [1, 2] }]), 'InvalidRows'); // wrong dimension
    await expectCode(h.append([{ name: 'no id' }]), 'InvalidRows'); // id is not nullable
    expect(await h.countRows()).toBe(2);
  });

  it('branches: create from a version, open, write in isolation, list, delete', async () => {
    const { head } = await seeded();
    const v1 = await head.append([{ id: 'a', name: 'A', age: 1 }]);
    const v2 = await head.append([{ id: 'b', name: 'B', age: 2 }]);

    const bv = await store.createBranch(KEY, TP, 'feature', v1);
    expect(bv).toBe(v1);
    expect(await store.headVersion(KEY, TP)).toBe(v2); // creating a branch commits nothing on main
    expect(await store.listBranches(KEY, TP)).toEqual([
      { name: 'feature', parentBranch: undefined, parentVersion: v1 },
    ]);
    await expectCode(store.createBranch(KEY, TP, 'feature', v1), 'BranchExists');
    await expectCode(store.createBranch(KEY, TP, 'other', 99), 'VersionNotFound');

    const br = track(await store.openTable(KEY, TP, { branch: 'feature' }));
    expect(br.branch).toBe('feature');
    expect(ids(await br.scan())).toEqual(['a']);
    const bw = await br.append([{ id: 'only-on-branch', name: 'X', age: 9 }]);
    expect(bw).toBe(bv + 1);
    const bm = await br.mergeInsert({
      upserts: [{ id: 'a', name: 'A-branch', age: 1 }],
      deleteIds: [],
    });
    expect(bm.version).toBe(bv + 2);
    expect(await store.headVersion(KEY, TP, 'feature')).toBe(bv + 2);

    // Main never sees branch rows, and main writes never reach the branch.
    expect(ids(await head.scan())).toEqual(['a', 'b']);
    expect((await head.scan({ where: "id = 'a'" }))[0].name).toBe('A');
    expect(await store.headVersion(KEY, TP)).toBe(v2);
    await head.append([{ id: 'main-only', name: 'M', age: 0 }]);
    expect(ids(await br.scan())).toEqual(['a', 'only-on-branch']);

    // A pinned branch handle sees the branch at that version and is read-only.
    const bp = track(await store.openTable(KEY, TP, { branch: 'feature', version: bw }));
    expect(bp.pinnedVersion).toBe(bw);
    expect(await bp.version()).toBe(bw);
    expect((await bp.scan({ where: "id = 'a'" }))[0].name).toBe('A');
    await expectCode(bp.append([{ id: 'q' }]), 'ReadOnlyHandle');

    // Restore works on a branch and stays on it.
    expect(await br.restore(bv)).toBe(bv + 3);
    expect(ids(await br.scan())).toEqual(['a']);
    expect((await br.listVersions()).map((v) => v.version)).toEqual([bv, bv + 1, bv + 2, bv + 3]);
    expect(ids(await head.scan())).toEqual(['a', 'b', 'main-only']);

    // 'main' is an alias for the main line.
    expect(await store.headVersion(KEY, TP, 'main')).toBe(v2 + 1);

    br.close();
    bp.close();
    await store.deleteBranch(KEY, TP, 'feature');
    expect(await store.listBranches(KEY, TP)).toEqual([]);
    await expectCode(store.openTable(KEY, TP, { branch: 'feature' }), 'BranchNotFound');
    await expectCode(store.deleteBranch(KEY, TP, 'feature'), 'BranchNotFound');
    await expectCode(store.deleteBranch(KEY, TP, 'main'), 'InvalidBranchName');
    expect(ids(await head.scan())).toEqual(['a', 'b', 'main-only']);
  });

  it('branches fork from the latest version by default and from another branch', async () => {
    const { head } = await seeded();
    const v1 = await head.append([{ id: 'a', name: 'A', age: 1 }]);
    expect(await store.createBranch(KEY, TP, 'b1')).toBe(v1);
    const b1 = track(await store.openTable(KEY, TP, { branch: 'b1' }));
    const b1v = await b1.append([{ id: 'b1-row' }]);
    expect(await store.createBranch(KEY, TP, 'b2', b1v, 'b1')).toBe(b1v);
    const b2 = track(await store.openTable(KEY, TP, { branch: 'b2' }));
    expect(ids(await b2.scan())).toEqual(['a', 'b1-row']);
    const list = await store.listBranches(KEY, TP);
    expect(list.map((b) => [b.name, b.parentBranch, b.parentVersion])).toEqual([
      ['b1', undefined, v1],
      ['b2', 'b1', b1v],
    ]);
  });
});
