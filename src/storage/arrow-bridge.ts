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
import * as arrow from 'apache-arrow';

// Resolve apache-arrow from lancedb's own location so we get the very instance it requires.
const requireFromLance = createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb'));
/** The apache-arrow module instance that @lancedb/lancedb uses internally. */
export const lanceArrow = requireFromLance('apache-arrow') as typeof arrow;

/** Our schema -> lancedb's arrow instance (no-op when already lancedb's). */
export function schemaToLance(schema: arrow.Schema): arrow.Schema {
  if (schema instanceof lanceArrow.Schema) return schema;
  return lanceArrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(schema))).schema;
}

/** lancedb's schema -> our arrow instance. */
export function schemaFromLance(schema: arrow.Schema): arrow.Schema {
  if (schema instanceof arrow.Schema) return schema;
  return arrow.tableFromIPC(lanceArrow.tableToIPC(new lanceArrow.Table(schema))).schema;
}

/** Our arrow.Table -> lancedb's arrow instance. */
export function tableToLance(table: arrow.Table): arrow.Table {
  if (table instanceof lanceArrow.Table) return table;
  return lanceArrow.tableFromIPC(arrow.tableToIPC(table));
}

/** A lancedb RecordBatch -> our arrow instance. */
export function batchFromLance(batch: arrow.RecordBatch): arrow.RecordBatch {
  if (batch instanceof arrow.RecordBatch) return batch;
  const t = arrow.tableFromIPC(lanceArrow.tableToIPC(new lanceArrow.Table([batch])));
  // A one-batch table round-trips to exactly one batch; concat guards the degenerate case.
  return t.batches.length === 1
    ? t.batches[0]
    : new arrow.RecordBatch(t.schema, t.concat().data[0]);
}

function isDateType(t: arrow.DataType): boolean {
  return arrow.DataType.isDate(t) || arrow.DataType.isTimestamp(t);
}

function is64BitInt(t: arrow.DataType): boolean {
  return arrow.DataType.isInt(t) && (t as arrow.Int).bitWidth === 64;
}

/**
 * Normalises one JS value so arrow's builders accept it for `type`:
 * 64-bit ints take number|bigint (builders need bigint), dates/timestamps take
 * Date | epoch-milliseconds | ISO string (builders need ms numbers / Dates; a string
 * would become NaN). Lists and fixed-size lists are recursed so List<Int64> etc. work.
 */
function normalizeValue(value: unknown, type: arrow.DataType): unknown {
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
  if ((arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) && value !== null) {
    const child = (type as arrow.List | arrow.FixedSizeList).children[0].type;
    const items = Array.from(value as Iterable<unknown>);
    return items.map((v) => normalizeValue(v, child));
  }
  return value;
}

/**
 * Plain JS rows -> a lancedb-instance arrow.Table with exactly `schema` (lancedb's
 * instance). Missing keys become null. A key that is not a column throws a TypeError
 * rather than being silently dropped (a typo would otherwise lose data).
 *
 * Built column by column with one arrow builder per field, in lancedb's instance:
 * lancedb's `makeArrowTable` transposes the rows, re-infers a schema and resolves a
 * path per cell, which was a third of a JSONL load's time.
 */
export function rowsToLance(rows: Record<string, unknown>[], schema: arrow.Schema): arrow.Table {
  const lanceSchema = schemaToLance(schema);
  const names = new Set(lanceSchema.fields.map((f) => f.name));
  for (const row of rows) {
    for (const key in row) {
      if (!names.has(key)) throw new TypeError(`row has unknown column '${key}'`);
    }
  }
  const data = lanceArrow.makeData({
    type: new lanceArrow.Struct(lanceSchema.fields),
    length: rows.length,
    nullCount: 0,
    children: lanceSchema.fields.map((f) => columnData(rows, f)),
  });
  return new lanceArrow.Table([
    new lanceArrow.RecordBatch(lanceSchema, data),
  ]) as unknown as arrow.Table;
}

function columnData(rows: Record<string, unknown>[], field: arrow.Field): arrow.Data {
  const { name, type } = field;
  const values = rows.map((row) => {
    const v = normalizeValue(row[name], type);
    if (v === null && !field.nullable)
      throw new TypeError(`column '${name}' is not nullable but a row has no value`);
    return v;
  });
  if (arrow.DataType.isFixedSizeList(type))
    return fixedSizeListData(values, type as arrow.FixedSizeList, name);
  const builder = lanceArrow.makeBuilder({ type, nullValues: [null, undefined] });
  for (const v of values) builder.append(v);
  return builder.finish().toVector().data[0] as arrow.Data;
}

/**
 * arrow's FixedSizeList builder appends no child values for a null list, which leaves
 * the child short (an invalid batch); so a null list here gets `listSize` null
 * placeholders under a cleared validity bit.
 */
function fixedSizeListData(values: unknown[], type: arrow.FixedSizeList, name: string): arrow.Data {
  const size = type.listSize;
  const child = lanceArrow.makeBuilder({
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
  return lanceArrow.makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: validity,
    child: child.finish().toVector().data[0],
  }) as arrow.Data;
}

/**
 * One arrow cell -> plain JS. Contract of TableHandle.scan():
 *   Utf8 -> string; Bool -> boolean; Int8..32/UInt8..32/Float* -> number;
 *   Int64/UInt64 -> bigint; Date32/Date64 and Timestamp(any unit) -> Date (millisecond
 *   precision: arrow JS converts to epoch ms); Binary/LargeBinary -> Uint8Array;
 *   List / FixedSizeList -> plain array (recursively converted);
 *   Struct -> plain object; null -> null.
 */
function cellToJs(value: unknown, type: arrow.DataType): unknown {
  if (value === null || value === undefined) return null;
  if (isDateType(type)) {
    return value instanceof Date ? value : new Date(Number(value));
  }
  if (arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) {
    const child = (type as arrow.List | arrow.FixedSizeList).children[0].type;
    return Array.from(value as Iterable<unknown>, (v) => cellToJs(v, child));
  }
  if (arrow.DataType.isStruct(type)) {
    const obj: Record<string, unknown> = {};
    const rec = value as Record<string, unknown>;
    for (const f of (type as arrow.Struct).children) obj[f.name] = cellToJs(rec[f.name], f.type);
    return obj;
  }
  return value;
}

/** One column of a record batch (either arrow instance) as plain JS values, one per row. */
export function columnToJs(batch: arrow.RecordBatch, name: string): unknown[] {
  const i = batch.schema.fields.findIndex((f) => f.name === name);
  if (i < 0) throw new TypeError(`no column '${name}' in the batch`);
  const { type } = batch.schema.fields[i];
  const col = batch.getChildAt(i)!;
  const out: unknown[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) out[r] = cellToJs(col.get(r), type);
  return out;
}

/** Row `r` of a record batch (either arrow instance) as a plain JS object. */
export function rowOfBatch(batch: arrow.RecordBatch, r: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  batch.schema.fields.forEach((f, i) => {
    row[f.name] = cellToJs(batch.getChildAt(i)?.get(r), f.type);
  });
  return row;
}

/** Record batches built by rowsToLance (same schema) as one lancedb-instance table: one commit. */
export function lanceTableOf(batches: arrow.RecordBatch[]): arrow.Table {
  return new lanceArrow.Table(batches as never) as unknown as arrow.Table;
}

/** Converts every row of a record batch (either arrow instance) to plain JS objects. */
export function batchToRows(batch: arrow.RecordBatch): Record<string, unknown>[] {
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
export function tableColumnToJs(table: arrow.Table, name: string): unknown[] {
  const field = table.schema.fields.find((f) => f.name === name);
  const vector = table.getChild(name);
  if (!field || !vector) throw new TypeError(`no column '${name}' in the scan`);
  const out: unknown[] = new Array(table.numRows);
  let at = 0;
  for (const data of vector.data) {
    const type = data.type as arrow.DataType;
    const n = data.length;
    if (arrow.DataType.isUtf8(type) && data.nullCount === 0) {
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
      (arrow.DataType.isInt(type) && (type as arrow.Int).bitWidth <= 32) ||
      (arrow.DataType.isFloat(type) && (type as arrow.Float).precision !== arrow.Precision.HALF)
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
