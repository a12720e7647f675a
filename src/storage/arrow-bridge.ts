/**
 * Bridges the project's apache-arrow instance and the one @lancedb/lancedb uses.
 *
 * Why this exists: apache-arrow ships separate CommonJS and ESM builds. Our code is
 * ESM, so `import 'apache-arrow'` loads Arrow.node.mjs; @lancedb/lancedb is CommonJS
 * and `require`s Arrow.node.js. The classes are therefore different objects, every
 * `instanceof` check inside lancedb fails on our schemas/tables, and lancedb falls back
 * to a "sanitize" path that does not know LargeBinary (it throws "Unrecognized type id
 * in schema: 19"). So everything handed to lancedb is rebuilt with lancedb's own arrow
 * instance (via an Arrow IPC round trip, which preserves every type exactly), and
 * everything returned is rebuilt with ours before leaving storage/.
 */
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import { lazy, requireAsImport } from '../lazy.js';
import type { NumberArray, RawChunk, RawScan } from './table-types.js';

/** Our apache-arrow instance (the ESM build), loaded on first use (src/lazy.ts). */
const ours = lazy(() => requireAsImport<typeof Arrow>('apache-arrow'));
/**
 * The apache-arrow module instance that @lancedb/lancedb uses internally, resolved from
 * lancedb's own location so we get the very instance it requires; loaded on first use.
 */
const theirs = lazy(() => {
  const instance = requireFromLance()('apache-arrow') as typeof Arrow;
  patchAllNullBoolWriter();
  return instance;
});
/** `require` resolving from @lancedb/lancedb's own location. */
const requireFromLance = lazy(() =>
  createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb')),
);
/** lancedb's arrow instance, its IPC writer patched (below); loaded on first use. */
export const lanceArrow = theirs;

/**
 * arrow JS's IPC writer writes an empty value bitmap for a Boolean array whose every
 * value is null, and Lance (arrow-rs) refuses to read it ("Need at least 1 bytes for
 * bitmap … Boolean"), so a commit whose only Bool column is null in every row failed.
 * The writer lives in lancedb's arrow instance and its assembler is not exported
 * through the package root, so its Bool visitor is wrapped once here: an all-null
 * Bool array is written with a zeroed bitmap of full length (its validity bitmap,
 * written separately, still says every value is null).
 */
function patchAllNullBoolWriter(): void {
  const { VectorAssembler } = requireFromLance()('apache-arrow/visitor/vectorassembler') as {
    VectorAssembler: { prototype: Record<string, unknown> };
  };
  const proto = VectorAssembler.prototype;
  if (proto.__lancelogAllNullBool) return;
  const visitBool = proto.visitBool as (this: unknown, data: BoolData) => unknown;
  proto.visitBool = function (this: unknown, data: BoolData): unknown {
    if (data.length > 0 && data.nullCount >= data.length)
      return visitBool.call(this, {
        offset: 0,
        length: data.length,
        nullCount: 0,
        values: new Uint8Array((data.length + 7) >> 3),
      });
    return visitBool.call(this, data);
  };
  proto.__lancelogAllNullBool = true;
}
/** What the Bool assembler reads of an arrow Data. */
interface BoolData {
  offset: number;
  length: number;
  nullCount: number;
  values: Uint8Array;
}

/** Our schema -> lancedb's arrow instance (no-op when already lancedb's). */
export function schemaToLance(schema: Arrow.Schema): Arrow.Schema {
  if (schema instanceof theirs().Schema) return schema;
  return theirs().tableFromIPC(ours().tableToIPC(new (ours().Table)(schema))).schema;
}

/** lancedb's schema -> our arrow instance. */
export function schemaFromLance(schema: Arrow.Schema): Arrow.Schema {
  if (schema instanceof ours().Schema) return schema;
  return ours().tableFromIPC(theirs().tableToIPC(new (theirs().Table)(schema))).schema;
}

/** Our Arrow.Table -> lancedb's arrow instance. */
export function tableToLance(table: Arrow.Table): Arrow.Table {
  if (table instanceof theirs().Table) return table;
  return theirs().tableFromIPC(ours().tableToIPC(table));
}

/** A lancedb RecordBatch -> our arrow instance. */
export function batchFromLance(batch: Arrow.RecordBatch): Arrow.RecordBatch {
  if (batch instanceof ours().RecordBatch) return batch;
  const t = ours().tableFromIPC(theirs().tableToIPC(new (theirs().Table)([batch])));
  // A one-batch table round-trips to exactly one batch; concat guards the degenerate case.
  return t.batches.length === 1
    ? t.batches[0]
    : new (ours().RecordBatch)(t.schema, t.concat().data[0]);
}

function isDateType(t: Arrow.DataType): boolean {
  return ours().DataType.isDate(t) || ours().DataType.isTimestamp(t);
}

function is64BitInt(t: Arrow.DataType): boolean {
  return ours().DataType.isInt(t) && (t as Arrow.Int).bitWidth === 64;
}

/**
 * Normalises one JS value so arrow's builders accept it for `type`:
 * 64-bit ints take number|bigint (builders need bigint), dates/timestamps take
 * Date | epoch-milliseconds | ISO string (builders need ms numbers / Dates; a string
 * would become NaN). Lists and fixed-size lists are recursed so List<Int64> etc. work.
 */
function normalizeValue(value: unknown, type: Arrow.DataType): unknown {
  if (value === undefined || value === null) return null;
  if (is64BitInt(type) && typeof value === 'number') return BigInt(value);
  if (isDateType(type)) {
    if (typeof value === 'string') {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) throw new TypeError(`not a date/timestamp: ${JSON.stringify(value)}`);
      return new Date(ms);
    }
    if (typeof value === 'bigint') return new Date(Number(value));
    return value;
  }
  if ((ours().DataType.isList(type) || ours().DataType.isFixedSizeList(type)) && value !== null) {
    const child = (type as Arrow.List | Arrow.FixedSizeList).children[0].type;
    const items = Array.from(value as Iterable<unknown>);
    return items.map((v) => normalizeValue(v, child));
  }
  return value;
}

/**
 * Plain JS rows -> a lancedb-instance Arrow.Table with exactly `schema` (lancedb's
 * instance). Missing keys become null. A key that is not a column throws a TypeError
 * rather than being silently dropped (a typo would otherwise lose data).
 *
 * Built column by column with one arrow builder per field, in lancedb's instance:
 * lancedb's `makeArrowTable` transposes the rows, re-infers a schema and resolves a
 * path per cell, which was a third of a JSONL load's time.
 */
export function rowsToLance(rows: Record<string, unknown>[], schema: Arrow.Schema): Arrow.Table {
  const lanceSchema = schemaToLance(schema);
  const names = new Set(lanceSchema.fields.map((f) => f.name));
  for (const row of rows) {
    for (const key in row) {
      if (!names.has(key)) throw new TypeError(`row has unknown column '${key}'`);
    }
  }
  const data = theirs().makeData({
    type: new (theirs().Struct)(lanceSchema.fields),
    length: rows.length,
    nullCount: 0,
    children: lanceSchema.fields.map((f) => columnData(rows, f)),
  });
  return new (theirs().Table)([
    new (theirs().RecordBatch)(lanceSchema, data),
  ]) as unknown as Arrow.Table;
}

function columnData(rows: Record<string, unknown>[], field: Arrow.Field): Arrow.Data {
  const { name, type } = field;
  const values = rows.map((row) => {
    const v = normalizeValue(row[name], type);
    if (v === null && !field.nullable)
      throw new TypeError(`column '${name}' is not nullable but a row has no value`);
    return v;
  });
  if (ours().DataType.isFixedSizeList(type))
    return fixedSizeListData(values, type as Arrow.FixedSizeList, name);
  if (ours().DataType.isTimestamp(type)) return timestampData(values, type as Arrow.Timestamp);
  if (ours().DataType.isList(type) && ours().DataType.isTimestamp((type as Arrow.List).valueType))
    return timestampListData(values, type as Arrow.List<Arrow.Timestamp>);
  const builder = theirs().makeBuilder({ type, nullValues: [null, undefined] });
  for (const v of values) builder.append(v);
  return builder.finish().toVector().data[0] as Arrow.Data;
}

const UNITS_PER_MS: Record<number, bigint> = {
  // Arrow's TimeUnit enum (SECOND, MILLISECOND, MICROSECOND, NANOSECOND), by value so
  // that Arrow need not load with this module.
  0: 0n,
  1: 1n,
  2: 1000n,
  3: 1000000n,
};

/**
 * arrow's timestamp builder stores `BigInt(ms * 1000)`: past 2^53 µs (after the year
 * 2255) the float product is inexact and a DateTime lost a millisecond. The values
 * are built here in bigint arithmetic instead.
 */
function timestampData(values: unknown[], type: Arrow.Timestamp): Arrow.Data {
  const perMs = UNITS_PER_MS[type.unit];
  const out = new BigInt64Array(values.length);
  const validity = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) {
      nullCount++;
      return;
    }
    const ms = BigInt(v instanceof Date ? v.getTime() : Number(v));
    out[i] = perMs === 0n ? ms / 1000n : ms * perMs;
    validity[i >> 3] |= 1 << (i & 7);
  });
  return theirs().makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: validity,
    data: out,
  }) as Arrow.Data;
}

/** A list of timestamps, its child built by timestampData (same reason). */
function timestampListData(values: unknown[], type: Arrow.List<Arrow.Timestamp>): Arrow.Data {
  const offsets = new Int32Array(values.length + 1);
  const validity = new Uint8Array((values.length + 7) >> 3);
  const items: unknown[] = [];
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else {
      validity[i >> 3] |= 1 << (i & 7);
      for (const x of v as unknown[]) items.push(x);
    }
    offsets[i + 1] = items.length;
  });
  return theirs().makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: validity,
    valueOffsets: offsets,
    child: timestampData(items, type.valueType),
  } as never) as Arrow.Data;
}

/**
 * arrow's FixedSizeList builder appends no child values for a null list, which leaves
 * the child short (an invalid batch); so a null list here gets `listSize` null
 * placeholders under a cleared validity bit.
 */
function fixedSizeListData(values: unknown[], type: Arrow.FixedSizeList, name: string): Arrow.Data {
  const size = type.listSize;
  const child = theirs().makeBuilder({
    type: type.children[0].type,
    nullValues: [null, undefined],
  });
  const validity = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) {
      nullCount++;
      for (let k = 0; k < size; k++) child.append(null);
      return;
    }
    const items = v as unknown[];
    if (items.length !== size)
      throw new TypeError(
        `column '${name}' takes lists of exactly ${size} values, got ${items.length}`,
      );
    validity[i >> 3] |= 1 << (i & 7);
    for (const x of items) child.append(x);
  });
  return theirs().makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: validity,
    child: child.finish().toVector().data[0],
  }) as Arrow.Data;
}

/**
 * One arrow cell -> plain JS. Contract of TableHandle.scan():
 *   Utf8 -> string; Bool -> boolean; Int8..32/UInt8..32/Float* -> number;
 *   Int64/UInt64 -> bigint; Date32/Date64 and Timestamp(any unit) -> Date (millisecond
 *   precision: arrow JS converts to epoch ms); Binary/LargeBinary -> Uint8Array;
 *   List / FixedSizeList -> plain array (recursively converted);
 *   Struct -> plain object; null -> null.
 */
function cellToJs(value: unknown, type: Arrow.DataType): unknown {
  if (value === null || value === undefined) return null;
  if (isDateType(type)) {
    return value instanceof Date ? value : new Date(Number(value));
  }
  if (ours().DataType.isList(type) || ours().DataType.isFixedSizeList(type)) {
    const child = (type as Arrow.List | Arrow.FixedSizeList).children[0].type;
    return Array.from(value as Iterable<unknown>, (v) => cellToJs(v, child));
  }
  if (ours().DataType.isStruct(type)) {
    const obj: Record<string, unknown> = {};
    const rec = value as Record<string, unknown>;
    for (const f of (type as Arrow.Struct).children) obj[f.name] = cellToJs(rec[f.name], f.type);
    return obj;
  }
  return value;
}

/** One column of a record batch (either arrow instance) as plain JS values, one per row. */
export function columnToJs(batch: Arrow.RecordBatch, name: string): unknown[] {
  const i = batch.schema.fields.findIndex((f) => f.name === name);
  if (i < 0) throw new TypeError(`no column '${name}' in the batch`);
  const { type } = batch.schema.fields[i];
  const col = batch.getChildAt(i)!;
  const out: unknown[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) out[r] = cellToJs(col.get(r), type);
  return out;
}

/** Row `r` of a record batch (either arrow instance) as a plain JS object. */
export function rowOfBatch(batch: Arrow.RecordBatch, r: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  batch.schema.fields.forEach((f, i) => {
    row[f.name] = cellToJs(batch.getChildAt(i)?.get(r), f.type);
  });
  return row;
}

/** Record batches built by rowsToLance (same schema) as one lancedb-instance table: one commit. */
export function lanceTableOf(batches: Arrow.RecordBatch[]): Arrow.Table {
  return new (theirs().Table)(batches as never) as unknown as Arrow.Table;
}

/** Converts every row of a record batch (either arrow instance) to plain JS objects. */
export function batchToRows(batch: Arrow.RecordBatch): Record<string, unknown>[] {
  const fields = batch.schema.fields;
  const columns = fields.map((_, i) => batch.getChildAt(i));
  const rows: Record<string, unknown>[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++)
      row[fields[c].name] = cellToJs(columns[c]?.get(r), fields[c].type);
    rows[r] = row;
  }
  return rows;
}

/** Is every byte ASCII (then byte offsets are string offsets)? */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

/**
 * One column of a whole scan result (either arrow instance) as plain JS values,
 * the same forms as `columnToJs`, without per-cell decoding where it can be
 * avoided: Utf8 chunks are decoded once and sliced (graph-index builds read
 * millions of endpoint ids), and null-free 8..32-bit numbers are copied as is.
 */
export function tableColumnToJs(table: Arrow.Table, name: string): unknown[] {
  const field = table.schema.fields.find((f) => f.name === name);
  const vector = table.getChild(name);
  if (!field || !vector) throw new TypeError(`no column '${name}' in the scan`);
  const out: unknown[] = new Array(table.numRows);
  let at = 0;
  for (const data of vector.data) {
    const type = data.type as Arrow.DataType;
    const n = data.length;
    if (ours().DataType.isUtf8(type) && data.nullCount === 0) {
      const offsets = data.valueOffsets as Int32Array;
      const values = data.values as Uint8Array;
      const base = offsets[0];
      const bytes = values.subarray(base, offsets[n]);
      if (isAscii(bytes)) {
        const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
          'latin1',
        );
        for (let i = 0; i < n; i++)
          out[at + i] = text.slice(offsets[i] - base, offsets[i + 1] - base);
        at += n;
        continue;
      }
    }
    if (
      (ours().DataType.isInt(type) && (type as Arrow.Int).bitWidth <= 32) ||
      (ours().DataType.isFloat(type) && (type as Arrow.Float).precision !== ours().Precision.HALF)
    ) {
      if (data.nullCount === 0) {
        const values = data.values as ArrayLike<number>;
        for (let i = 0; i < n; i++) out[at + i] = values[i];
        at += n;
        continue;
      }
    }
    // The vector may be lancedb's arrow instance: read cells through it, by global index.
    for (let i = 0; i < n; i++) out[at + i] = cellToJs(vector.get(at + i), type);
    at += n;
  }
  return out;
}

/** One Arrow chunk (either instance) as a RawChunk: typed arrays as they are, no copy. */
function rawChunk(data: Arrow.Data, vector: Arrow.Vector, at: number): RawChunk {
  const type = data.type as Arrow.DataType;
  const length = data.length;
  const valid = data.nullCount > 0 ? (data.nullBitmap as Uint8Array) : null;
  const { isUtf8, isInt, isFloat } = ours().DataType;
  if (isUtf8(type))
    return {
      kind: 'utf8',
      length,
      offsets: data.valueOffsets as Int32Array,
      bytes: data.values as Uint8Array,
      valid,
      bitOffset: data.offset,
    };
  if (isInt(type) || (isFloat(type) && (type as Arrow.Float).precision !== ours().Precision.HALF)) {
    const values = data.values as NumberArray | BigInt64Array | BigUint64Array;
    return values instanceof BigInt64Array || values instanceof BigUint64Array
      ? { kind: 'bigint', length, values, valid, bitOffset: data.offset }
      : { kind: 'number', length, values, valid, bitOffset: data.offset };
  }
  const values: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) values[i] = cellToJs(vector.get(at + i), type);
  return { kind: 'values', length, values };
}

/** The named columns of a scan result (either arrow instance) as raw chunks; `_rowaddr` when present. */
export function tableToRaw(table: Arrow.Table, names: string[]): RawScan {
  const columns = new Map<string, RawChunk[]>();
  for (const name of names) {
    const vector = table.getChild(name);
    if (!vector) throw new TypeError(`no column '${name}' in the scan`);
    const chunks: RawChunk[] = [];
    let at = 0;
    for (const data of vector.data) {
      chunks.push(rawChunk(data as Arrow.Data, vector, at));
      at += data.length;
    }
    columns.set(name, chunks);
  }
  let rowAddrs: BigUint64Array | null = null;
  const addrs = table.getChild('_rowaddr');
  if (addrs) {
    rowAddrs = new BigUint64Array(table.numRows);
    let at = 0;
    for (const data of addrs.data) {
      rowAddrs.set((data.values as BigUint64Array).subarray(0, data.length), at);
      at += data.length;
    }
  }
  return { rows: table.numRows, columns, rowAddrs };
}
