/**
 * Result values of a read (`lancelog read`, the server's `/read`) as printable data, by column type: Date →
 * `YYYY-MM-DD`, DateTime → ISO-8601 UTC, vectors → number arrays, Blob → base64,
 * 64-bit integers → bigint (printed exactly, never through a JS number), a whole node
 * → an object of its properties (each formatted by its declared type).
 */
import { shortestFloat32 } from '../json-exact.js';
import { valueTypeText } from '../query/values.js';
import type { ValueType } from '../query/index.js';
import type { Catalog, PropType } from '../schema/types.js';
import { nodeTypeNamed } from '../schema/lookup.js';

/** What the printers receive: JSON-like data where integers may be bigints. */
export type OutValue = null | string | number | bigint | boolean | OutValue[] | OutObject;
export interface OutObject {
  [key: string]: OutValue;
}

const DAY_MS = 86_400_000;

/** A column type as the API reports it: the typed form or its text (`Date`, `[String]`, …). */
export type ColumnType = ValueType | string;

/** The typed form of a column type given as text (`I64`, `Vector(3)`, `[Date]`, `node Person`). */
export function parseTypeText(text: string): ValueType | null {
  const t = text.trim().replace(/\?$/, '');
  if (/^(String|Blob|Bool|I32|I64|U32|U64|F32|F64|Date|DateTime)$/.test(t))
    return { kind: 'scalar', name: t as 'String' };
  const vec = /^Vector\((\d+)\)$/.exec(t);
  if (vec) return { kind: 'vector', dim: Number(vec[1]) };
  if (t.startsWith('enum(')) return { kind: 'enum', values: [] };
  const list = /^\[(.+)\]$/.exec(t);
  if (list) {
    const el = parseTypeText(list[1]);
    if (el && (el.kind === 'scalar' || el.kind === 'enum')) return { kind: 'list', element: el };
    return null;
  }
  const node = /^node (\w+)$/.exec(t);
  if (node) return { kind: 'node', type: node[1] };
  if (t === 'rank') return { kind: 'rank' };
  if (t === 'null') return { kind: 'null' };
  return null;
}

function asType(t: ColumnType | undefined): ValueType | null {
  if (t === undefined) return null;
  return typeof t === 'string' ? parseTypeText(t) : t;
}

/** The text of a column type, for headers and metadata. */
export function columnTypeText(t: ColumnType): string {
  return typeof t === 'string' ? t : valueTypeText(t);
}

/** The shortest decimal that reads back as the same 32-bit float (0.1f → 0.1, not 0.10000000149011612). */
export const shortestF32 = shortestFloat32;

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return null;
}

function dateText(v: unknown): string {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'number') return new Date(v * DAY_MS).toISOString().slice(0, 10);
  if (typeof v === 'bigint') return new Date(Number(v)).toISOString().slice(0, 10);
  const s = String(v);
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : s;
}

function dateTimeText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return new Date(v).toISOString();
  const s = String(v);
  const ms = Date.parse(s);
  // Keep sub-millisecond digits already in UTC form; normalise anything else.
  if (/Z$/.test(s) || Number.isNaN(ms)) return s;
  return new Date(ms).toISOString();
}

function bytesOf(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

function scalar(name: string, v: unknown): OutValue {
  switch (name) {
    case 'I32':
    case 'U32':
    case 'I64':
    case 'U64': {
      const b = toBigInt(v);
      if (b === null) return generic(v);
      return name === 'I64' || name === 'U64' ? b : Number(b);
    }
    case 'F32':
      return typeof v === 'number' ? shortestF32(v) : generic(v);
    case 'Date':
      return dateText(v);
    case 'DateTime':
      return dateTimeText(v);
    case 'Blob': {
      const bytes = bytesOf(v);
      return bytes ? Buffer.from(bytes).toString('base64') : generic(v);
    }
    default:
      return generic(v);
  }
}

/** Without a type: JSON-like by the value's own shape. */
function generic(v: unknown): OutValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.toISOString();
  const bytes = v instanceof Uint8Array && !(v instanceof Buffer) ? null : bytesOf(v);
  if (bytes) return Buffer.from(bytes).toString('base64');
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(generic);
  if (typeof v === 'object') {
    const out: OutObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = generic(x);
    return out;
  }
  return String(v);
}

function propValue(t: PropType, v: unknown): OutValue {
  return formatValue(v, t, null);
}

/** One result value as printable data, by its column type (the catalog types whole nodes). */
export function formatValue(
  v: unknown,
  type: ColumnType | undefined,
  catalog: Catalog | null,
): OutValue {
  if (v === null || v === undefined) return null;
  const t = asType(type);
  if (!t) return generic(v);
  switch (t.kind) {
    case 'scalar':
      return scalar(t.name, v);
    case 'enum':
      return String(v);
    case 'vector':
      return ArrayBuffer.isView(v) || Array.isArray(v)
        ? Array.from(v as ArrayLike<number>, (x) => shortestF32(Number(x)))
        : generic(v);
    case 'list':
      return ArrayBuffer.isView(v) || Array.isArray(v)
        ? Array.from(v as ArrayLike<unknown>, (x) => formatValue(x, t.element, catalog))
        : generic(v);
    case 'node': {
      if (typeof v !== 'object') return generic(v);
      const def = catalog && nodeTypeNamed(catalog, t.type);
      const out: OutObject = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const prop = def?.properties.find((p) => p.name === k);
        out[k] = prop ? propValue(prop.type, x) : generic(x);
      }
      return out;
    }
    default:
      return generic(v);
  }
}
