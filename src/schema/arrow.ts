/**
 * Arrow schema of each catalog type (docs/schema-language.md §Types and their Arrow columns). Nodes: `id: Utf8`
 * + properties; edges: `id, src, dst: Utf8` + properties. Required properties are
 * non-nullable columns, so storage itself refuses a missing value.
 */
import type * as Arrow from 'apache-arrow';
import { lazy, requireAsImport } from '../lazy.js';
import type { PropType, ScalarName, TypeDef } from './types.js';

/** apache-arrow, loaded on the first schema built (src/lazy.ts). */
const arrow = lazy(() => requireAsImport<typeof Arrow>('apache-arrow'));

function scalarType(name: ScalarName): Arrow.DataType {
  const {
    Utf8,
    LargeBinary,
    Bool,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Float32,
    Float64,
    DateDay,
    TimestampMicrosecond,
  } = arrow();
  switch (name) {
    case 'String':
      return new Utf8();
    case 'Blob':
      return new LargeBinary();
    case 'Bool':
      return new Bool();
    case 'I32':
      return new Int32();
    case 'I64':
      return new Int64();
    case 'U32':
      return new Uint32();
    case 'U64':
      return new Uint64();
    case 'F32':
      return new Float32();
    case 'F64':
      return new Float64();
    case 'Date':
      return new DateDay();
    // Microseconds in UTC: ISO-8601 strings keep their instant, and Lance stores it natively.
    case 'DateTime':
      return new TimestampMicrosecond('UTC');
  }
}

export function arrowTypeFor(t: PropType): Arrow.DataType {
  const { Utf8, FixedSizeList, Field, Float32, List } = arrow();
  switch (t.kind) {
    case 'scalar':
      return scalarType(t.name);
    case 'enum':
      return new Utf8();
    case 'vector':
      return new FixedSizeList(t.dim, new Field('item', new Float32(), true));
    case 'list':
      return new List(new Field('item', arrowTypeFor(t.element), true));
  }
}

export function arrowSchemaFor(def: TypeDef): Arrow.Schema {
  const { Field, Utf8, Schema } = arrow();
  const fields: Arrow.Field[] = [new Field('id', new Utf8(), false)];
  if (def.kind === 'edge')
    fields.push(new Field('src', new Utf8(), false), new Field('dst', new Utf8(), false));
  for (const p of def.properties) fields.push(new Field(p.name, arrowTypeFor(p.type), p.nullable));
  return new Schema(
    fields,
    new Map([
      ['lancelog.table_key', def.tableKey],
      ['lancelog.type_id', def.typeId],
    ]),
  );
}
