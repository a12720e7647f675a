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
