import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { TableStore } from '../../src/storage/index.js';
import { changeColumns } from '../../src/storage/column-change.js';
import { StorageError } from '../../src/errors.js';

const REF = { tableKey: 'node:Person', tablePath: 'nodes/9a3f00aa11bb22cc' };
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
  new arrow.Field('age', new arrow.Int32(), true),
  new arrow.Field('score', new arrow.Float32(), true),
]);

describe('changeColumns', () => {
  let dir: string;
  let store: TableStore;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lancelog-colchange-'));
    store = await TableStore.open(dir);
    await store.createTable(REF.tableKey, REF.tablePath, schema);
    const h = await store.openTable(REF.tableKey, REF.tablePath);
    await h.append([
      { id: 'a', name: 'Ann', age: 30, score: 1.5 },
      { id: 'b', name: 'Bob', age: 2147483647, score: null },
    ]);
    h.close();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, fills, widens and drops, one commit per kind, and reports the intermediate ones', async () => {
    const seen: number[] = [];
    const v = await changeColumns(
      dir,
      REF,
      2,
      {
        add: new arrow.Schema([
          new arrow.Field('nick', new arrow.Utf8(), true),
          new arrow.Field('level', new arrow.Int64(), true),
        ]),
        fill: [{ column: 'level', valueSql: '7' }],
        widen: new arrow.Schema([
          new arrow.Field('age', new arrow.Int64(), true),
          new arrow.Field('score', new arrow.Float64(), true),
        ]),
        nullable: [],
        drop: ['name'],
      },
      (x) => seen.push(x),
    );
    expect(v).toBe(6);
    expect(seen).toEqual([3, 4, 5]);
    const h = await store.openTable(REF.tableKey, REF.tablePath);
    const s = await h.schema();
    expect(s.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'id:Utf8',
      'age:Int64',
      'score:Float64',
      'nick:Utf8',
      'level:Int64',
    ]);
    const rows = (await h.scan()).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(rows.map((r) => [r.id, Number(r.age), r.score, r.nick, Number(r.level)])).toEqual([
      ['a', 30, 1.5, null, 7],
      ['b', 2147483647, null, null, 7],
    ]);
    h.close();
  });

  it('makes no commit for no change, and refuses a HEAD that is not the expected one', async () => {
    const none = { add: null, fill: [], widen: null, nullable: [], drop: [] };
    expect(await changeColumns(dir, REF, 2, none, () => undefined)).toBe(2);
    const err = await changeColumns(
      dir,
      REF,
      1,
      { ...none, drop: ['name'] },
      () => undefined,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).details.table_key).toBe(REF.tableKey);
    expect(await store.headVersion(REF.tableKey, REF.tablePath)).toBe(2);
  });
});
