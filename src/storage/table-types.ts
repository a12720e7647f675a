/**
 * The option and result types of a table handle (src/storage/table-handle.ts), and
 * the tokenizer every full-text index is built with.
 */
import type * as arrow from 'apache-arrow';

export interface ScanOptions {
  /** SQL filter (DataFusion dialect), e.g. `id = 'a'`. */
  where?: string;
  /** Project these columns only (all when omitted). */
  columns?: string[];
  limit?: number;
}

export interface MergeInsertArgs {
  /** Rows upserted by `id`: matching ids are replaced, others inserted. */
  upserts: Record<string, unknown>[] | arrow.Table;
  /** Ids deleted in the same commit. Ids not present are ignored. */
  deleteIds: string[];
}

export interface MergeInsertResult {
  version: number;
  inserted: number;
  updated: number;
  deleted: number;
}

export interface TableVersionInfo {
  version: number;
  timestamp: Date;
}

/** An index Lancelog builds (docs/indexes.md). */
export type IndexSpec = { column: string; name: string } & (
  | { kind: 'btree' }
  | { kind: 'fts' }
  /** IVF_FLAT with cosine distance; `partitions` IVF lists. */
  | { kind: 'vector'; partitions: number }
);

/**
 * The inverted-index tokenizer: split on whitespace and punctuation, lowercase, fold
 * accents to ASCII, drop tokens over 40 bytes; no stemming, no stop words (fuzzy
 * matching compares query tokens with indexed tokens: stems would defeat it), with
 * positions (phrase queries). The read layer's own tokenizer (src/read/text.ts)
 * follows exactly these rules.
 */
export const FTS_TOKENIZER = {
  baseTokenizer: 'simple',
  lowercase: true,
  asciiFolding: true,
  stem: false,
  removeStopWords: false,
  withPosition: true,
  maxTokenLength: 40,
} as const;

/** One index of a table version, as Lance lists it. */
export interface TableIndexInfo {
  name: string;
  column: string;
  /** Lance's index type name: BTree, FTS (inverted), IvfFlat, … */
  indexType: string;
  indexedRows: number | null;
  unindexedRows: number | null;
  createdAt: Date | null;
}

/** A ranked search: the matching rows' columns plus their score. */
export interface SearchOptions {
  /** SQL prefilter (DataFusion dialect) applied before ranking. */
  where?: string;
  columns: string[];
  /** Top-k; all matches when omitted (text search only). */
  limit?: number;
}

/** Fragment layout of a table version (Lance `stats()`). */
export interface FragmentStats {
  fragments: number;
  /** Fragments Lance considers small (candidates for compaction). */
  smallFragments: number;
  rows: number;
  /** Bytes of data, index and overlay files the version references. */
  totalBytes: number;
}

export interface CompactResult {
  /** HEAD after compaction (unchanged when there was nothing to compact). */
  version: number;
  fragmentsRemoved: number;
  fragmentsAdded: number;
}

export interface PruneResult {
  version: number;
  bytesRemoved: number;
  versionsRemoved: number;
  fragmentsRemoved: number;
  fragmentsAdded: number;
}

/** The typed arrays Arrow keeps 8..32-bit integers and floats in. */
export type NumberArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/**
 * One chunk of a column as Arrow laid it out, for readers that work on typed arrays
 * instead of JS values (graph-index builds, vectorised aggregates). `valid` is the
 * validity bitmap (bit `bitOffset + i` of row i; null when no row is null).
 */
export type RawChunk =
  | {
      kind: 'utf8';
      length: number;
      /** Row i is bytes[offsets[i], offsets[i + 1]). */
      offsets: Int32Array;
      bytes: Uint8Array;
      valid: Uint8Array | null;
      bitOffset: number;
    }
  | {
      kind: 'number';
      length: number;
      values: NumberArray;
      valid: Uint8Array | null;
      bitOffset: number;
    }
  | {
      kind: 'bigint';
      length: number;
      values: BigInt64Array | BigUint64Array;
      valid: Uint8Array | null;
      bitOffset: number;
    }
  /** Any other type: the values as `scan` gives them. */
  | { kind: 'values'; length: number; values: unknown[] };

/** A scan's columns as raw chunks, all columns chunked alike, plus row addresses when asked. */
export interface RawScan {
  rows: number;
  columns: Map<string, RawChunk[]>;
  /** Lance's `_rowaddr` per row (fragment id · 2^32 + row offset): only with `withRowAddr`. */
  rowAddrs: BigUint64Array | null;
}

export interface RawScanOptions extends ScanOptions {
  columns: string[];
  withRowAddr?: boolean;
}
