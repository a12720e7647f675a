/** The option and result types of the public Repo (src/repo.ts re-exports them). */
import type { RecoveryAuditRow, VerifyReport } from '../journal/index.js';
import type { EmbeddingClient } from '../embed/index.js';

export interface InitOptions {
  /** The .pg source text. */
  schemaSource: string;
  /** The file it came from, used in error messages. */
  schemaFile: string;
  actor?: string;
  /**
   * Where the Lance tables live: `s3://bucket/prefix` (credentials and endpoint from the
   * AWS variables); the repo directory then holds the journal (docs/deployment.md).
   * Undefined: in the repo directory.
   */
  tables?: string;
  /** `Repo.init('s3://bucket/prefix', …)`: the local directory of its SQLite journal. */
  journal?: string;
}

export interface InitResult {
  repo: string;
  tables: Array<{ tableKey: string; tablePath: string; version: number }>;
  commitId: string;
}

export interface OpenOptions {
  /** A read-only open never writes: not to the journal, not to Lance. */
  readOnly?: boolean;
  /** Run Full recovery on a read-write open (default true; `lancelog recover` opens with false). */
  recover?: boolean;
  /** A lease whose heartbeat is older than this belongs to a dead owner (default 30 s). */
  leaseTimeoutMs?: number;
  /**
   * Bound, in bytes, of the read cache (node columns and graph indexes of the
   * table versions queries read; least recently used evicted first). Default 512 MiB.
   */
  readCacheBytes?: number;
  /**
   * The client that fills `@embed` vectors on writes (and embeds query strings).
   * Default: `createEmbeddingClient()` from the environment, created on first use.
   */
  embeddings?: EmbeddingClient;
  /**
   * With an `s3://bucket/prefix` repo: the directory of its journal (what `init` was
   * given as `journal`); it must be the repo whose tables are there (docs/deployment.md).
   */
  journal?: string;
}

export interface RecoveryAuditEntry extends RecoveryAuditRow {
  /** The lancelog:recovery commit that published the decision (null for Abort). */
  commitId: string | null;
  branch: string | null;
}

/** Which published state to read: a branch's latest, one of its manifest versions, or a commit. */
export interface ReadAt {
  branch?: string;
  version?: number;
  commit?: string;
}

export interface ScanOptions extends ReadAt {
  /** SQL filter over the table's columns, e.g. `age > 30`. */
  where?: string;
  columns?: string[];
  limit?: number;
}

export interface TableSummary {
  tableKey: string;
  tablePath: string;
  kind: 'node' | 'edge';
  name: string;
  pinnedVersion: number;
  lanceBranch: string | null;
  rows: number;
}

/** One (branch, table) row of the I1 check of `journal verify`. */
export interface PinCheck {
  branch: string;
  tableKey: string;
  pin: number;
  head: number | null;
  lanceBranch: string | null;
  inherited: boolean;
  ok: boolean;
  /** The table is there but its HEAD cannot be read (a damaged manifest, a permission). */
  error?: { code: string; message: string };
}

export interface VerifyResult extends VerifyReport {
  /** Invariant I1 per (branch, table): Lance HEAD == pin. */
  i1: PinCheck[];
}

/** An operation recovery would process, as `Repo.pendingRecovery` lists it. */
export interface PendingRecoveryRow {
  opId: string;
  kind: string;
  branch: string;
  actor: string | null;
  hasSidecar: boolean;
  published: boolean;
}
