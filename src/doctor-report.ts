/**
 * What `lancelog doctor` reports (src/doctor.ts; docs/cli.md, docs/recovery.md "doctor"):
 * the kinds of problem, each problem, the scrub's figures. Types only, shared by the
 * checks (doctor.ts) and the deep part (doctor-deep.ts).
 */
export type DoctorProblemKind =
  | 'journal-not-sqlite'
  | 'journal-unreadable'
  | 'journal-corrupt'
  | 'journal-inconsistent'
  | 'repo-not-writable'
  | 'schema-drift'
  | 'schema-unrecorded'
  | 'operation-in-flight'
  | 'lance-ahead-of-pin'
  | 'lost-published-version'
  | 'table-unreadable'
  | 'damaged-version'
  | 'bad-graph-index-file';

export interface DoctorProblem {
  kind: DoctorProblemKind;
  message: string;
  /** `--repair` can fix it without losing acknowledged data. */
  repairable: boolean;
  /** What to do (for what `--repair` cannot fix, or before running it). */
  instructions: string;
  branch?: string;
  tableKey?: string;
  pin?: number;
  head?: number | null;
  opId?: string;
  /**
   * `damaged-version`: the version, its damaged files, the commits that can no longer
   * be read, the heads that pin it. `bad-graph-index-file`: the version the file names,
   * and the file (relative to the repo).
   */
  lanceBranch?: string | null;
  version?: number;
  files?: Array<{ path: string; problem: string; message: string }>;
  commits?: string[];
  heads?: string[];
  /** Set by `--repair`: what was done. */
  repaired?: string;
}

/** The scrub's figures (`doctor --deep`), and the damage a repair recorded before. */
export interface DoctorScrub {
  versions: number;
  files: number;
  bytes: number;
  hashed: number;
  withoutChecksum: number;
  ms: number;
  known: Array<{
    tableKey: string;
    lanceBranch: string | null;
    version: number;
    commits: string[];
  }>;
}

export interface DoctorReport {
  repo: string;
  ok: boolean;
  checks: string[];
  problems: DoctorProblem[];
  repaired: boolean;
  scrub?: DoctorScrub;
}
