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

/** Our apache-arrow instance (the ESM build), loaded on first use (src/lazy.ts). */
const ours = lazy(() => requireAsImport<typeof Arrow>('apache-arrow'));
/**
 * The apache-arrow module instance that @lancedb/lancedb uses internally, resolved from
 * lancedb's own location so we get the very instance it requires; loaded on first use.
 */
const theirs = lazy(
  () =>
    createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb'))(
      'apache-arrow',
    ) as typeof Arrow,
);

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
  const builder = theirs().makeBuilder({ type, nullValues: [null, undefined] });
  for (const v of values) builder.append(v);
  return builder.finish().toVector().data[0] as Arrow.Data;
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
