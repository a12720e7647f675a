/**
 * Deterministic JSON of a catalog: object keys sorted, arrays in declaration order,
 * two-space indent. The same schema source always yields byte-identical output.
 */
import type { Catalog } from './types.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

export function catalogToJSON(catalog: Catalog): string {
  return JSON.stringify(canonical(catalog), null, 2);
}
