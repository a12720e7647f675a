/**
 * The journal's reader: queries over the SQL projections and the event log. They go
 * straight to SQLite, so every handle (and every process) sees the latest committed
 * state. It shares its connection (handle.ts) with the writer (writer.ts).
 */
import type Database from 'better-sqlite3';
import { LancelogError } from '../errors.js';
import type { JournalHandle } from './handle.js';
import { parsePayload, type EventKind, type FileDigest, type JournalEvent } from './events.js';
import { replay } from './evolve.js';
import { diffStates, mapRow, prepared, readProjections } from './projections.js';
import {
  IN_FLIGHT_STATES,
  type BranchRow,
  type CommitRow,
  type ForkRow,
  type JournalState,
  type LeaseRow,
  type OperationRow,
  type RecoveryAuditRow,
} from './state.js';

export interface TablePin {
  tableKey: string;
  version: number;
  lanceBranch: string | null;
}
export interface Snapshot {
  branch: string;
  manifestVersion: number;
  commitId: string;
  timeUs: number;
  pins: TablePin[];
}
export type SnapshotRef = { branch: string; manifestVersion?: number } | { commitId: string };
export interface EventFilter {
  opId?: string;
  kind?: EventKind;
  branch?: string;
  sinceUs?: number;
  afterSeq?: number;
  limit?: number;
  order?: 'asc' | 'desc';
}
export interface CommitFilter {
  branch?: string;
  actor?: string;
  limit?: number;
}
export interface VerifyReport {
  ok: boolean;
  differences: string[];
  integrity: string;
  events: number;
}
export type BranchInfo = BranchRow;
export interface DamageRecords {
  versions: Map<string, { opId: string; commits: Set<string> }>;
  unreadableCommits: Map<string, string>;
}

export const EVENT_COLUMNS = 'seq, op_id, time_us, kind, branch, table_key, payload';

export function rowToEvent(raw: Record<string, unknown>): JournalEvent {
  const kind = raw.kind as EventKind;
  const seq = Number(raw.seq);
  let payload: unknown;
  try {
    payload = JSON.parse(raw.payload as string);
  } catch {
    throw new LancelogError('EventPayloadInvalid', `event #${seq} has a payload that is not JSON`, {
      seq,
      kind,
    });
  }
  return {
    seq,
    opId: raw.op_id as string,
    timeUs: Number(raw.time_us),
    branch: raw.branch as string,
    tableKey: (raw.table_key as string | null) ?? null,
    kind,
    payload: parsePayload(kind, payload, { seq }),
  } as JournalEvent;
}

/**
 * What the facade needs of a reader: the SQLite one below, and any other store that
 * answers the same queries over its own projections.
 */
export type JournalReads = { [K in keyof JournalReader]: JournalReader[K] };

/** Read access to a journal DB (the facade, journal.ts, delegates its reads here). */
export class JournalReader {
  private readonly db: Database.Database;

  constructor(handle: JournalHandle) {
    this.db = handle.db;
  }

  // ---------------------------------------------------------------- reads (SQL projections)

  private all<T>(field: keyof JournalState, sql: string, ...params: unknown[]): T[] {
    return (this.db.prepare(sql).all(...params) as Record<string, unknown>[]).map((r) =>
      mapRow<T>(field, r),
    );
  }

  /** As all(), through the per-handle statement cache: for fixed SQL texts every write runs. */
  private cachedAll<T>(field: keyof JournalState, sql: string, ...params: unknown[]): T[] {
    return (prepared(this.db, sql).all(...params) as Record<string, unknown>[]).map((r) =>
      mapRow<T>(field, r),
    );
  }

  /** Live branches (or all, including deleted ones). */
  listBranches(opts: { includeDeleted?: boolean } = {}): BranchInfo[] {
    return this.all<BranchRow>(
      'branches',
      `SELECT * FROM branches ${opts.includeDeleted ? '' : 'WHERE deleted = 0'} ORDER BY name`,
    );
  }

  getBranch(name: string): BranchInfo {
    const [b] = this.cachedAll<BranchRow>(
      'branches',
      'SELECT * FROM branches WHERE name = ? AND deleted = 0',
      name,
    );
    if (!b)
      throw new LancelogError('BranchNotFound', `branch ${JSON.stringify(name)} does not exist`, {
        branch: name,
      });
    return b;
  }

  /** The pin set of a branch at a manifest version (default: its head), or at a commit. */
  snapshot(ref: SnapshotRef): Snapshot {
    let branch: string;
    let mv: number;
    if ('commitId' in ref) {
      const commit = this.getCommit(ref.commitId);
      branch = commit.branch;
      mv = commit.manifestVersion;
    } else {
      branch = ref.branch;
      mv = ref.manifestVersion ?? this.getBranch(branch).headManifestVersion;
      if (ref.manifestVersion !== undefined) this.getBranch(branch);
    }
    const manifest = prepared(
      this.db,
      'SELECT commit_id, time_us FROM manifests WHERE branch = ? AND manifest_version = ?',
    ).get(branch, mv) as { commit_id: string; time_us: number } | undefined;
    if (!manifest)
      throw new LancelogError(
        'ManifestVersionNotFound',
        `branch ${branch} has no manifest version ${mv}`,
        { branch, manifest_version: mv },
      );
    const pins = (
      prepared(
        this.db,
        'SELECT table_key, version, lance_branch FROM pins WHERE branch = ? AND manifest_version = ? ORDER BY table_key',
      ).all(branch, mv) as Array<{
        table_key: string;
        version: number;
        lance_branch: string | null;
      }>
    ).map((p) => ({ tableKey: p.table_key, version: p.version, lanceBranch: p.lance_branch }));
    return {
      branch,
      manifestVersion: mv,
      commitId: manifest.commit_id,
      timeUs: manifest.time_us,
      pins,
    };
  }

  /** The pins at the head of a live branch. */
  latestPins(branch: string): TablePin[] {
    return this.snapshot({ branch }).pins;
  }

  /**
   * Commits, newest first. With `branch`: the branch's history, following first
   * parents from its head (so it includes what it inherited from its parent).
   */
  listCommits(filter: CommitFilter = {}): CommitRow[] {
    const limit =
      filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    const actorCond = filter.actor !== undefined ? ' AND c.actor = ?' : '';
    const actorParams = filter.actor !== undefined ? [filter.actor] : [];
    if (filter.branch !== undefined) {
      this.getBranch(filter.branch);
      return this.all<CommitRow>(
        'commits',
        `
        WITH RECURSIVE chain (id, depth) AS (
          SELECT head_commit_id, 0 FROM branches WHERE name = ?
          UNION ALL
          SELECT c.parent_id, chain.depth + 1 FROM commits c JOIN chain ON c.id = chain.id WHERE c.parent_id IS NOT NULL
        )
        SELECT c.* FROM chain JOIN commits c ON c.id = chain.id WHERE 1 = 1${actorCond} ORDER BY chain.depth${limit}`,
        filter.branch,
        ...actorParams,
      );
    }
    return this.all<CommitRow>(
      'commits',
      `SELECT c.* FROM commits c WHERE 1 = 1${actorCond} ORDER BY c.time_us DESC, c.id DESC${limit}`,
      ...actorParams,
    );
  }

  getCommit(id: string): CommitRow {
    const [c] = this.all<CommitRow>('commits', 'SELECT * FROM commits WHERE id = ?', id);
    if (!c)
      throw new LancelogError('CommitNotFound', `commit ${id} does not exist`, { commit_id: id });
    return c;
  }

  /** Events matching the filter, each payload re-validated with its zod schema. Ascending by seq unless order = 'desc'. */
  listEvents(filter: EventFilter = {}): JournalEvent[] {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (filter.opId !== undefined) {
      conds.push('op_id = ?');
      params.push(filter.opId);
    }
    if (filter.kind !== undefined) {
      conds.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.branch !== undefined) {
      conds.push('branch = ?');
      params.push(filter.branch);
    }
    if (filter.sinceUs !== undefined) {
      conds.push('time_us >= ?');
      params.push(filter.sinceUs);
    }
    if (filter.afterSeq !== undefined) {
      conds.push('seq > ?');
      params.push(filter.afterSeq);
    }
    const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
    const order = filter.order === 'desc' ? 'DESC' : 'ASC';
    const limit =
      filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (
      this.db
        .prepare(`SELECT ${EVENT_COLUMNS} FROM events${where} ORDER BY seq ${order}${limit}`)
        .all(...params) as Record<string, unknown>[]
    ).map(rowToEvent);
  }

  getOperation(opId: string): OperationRow {
    const [op] = this.all<OperationRow>(
      'operations',
      'SELECT * FROM operations WHERE op_id = ?',
      opId,
    );
    if (!op)
      throw new LancelogError('OperationNotFound', `operation ${opId} does not exist`, {
        op_id: opId,
      });
    return op;
  }

  /** Operations neither completed nor rolled back, oldest first: what recovery must look at. */
  inFlightOperations(): OperationRow[] {
    return this.all<OperationRow>(
      'operations',
      // `state IN (…)`: found through operations_by_state, without scanning finished ones.
      `SELECT * FROM operations WHERE state IN (${IN_FLIGHT_STATES.map(() => '?').join(', ')}) ORDER BY started_us, op_id`,
      ...IN_FLIGHT_STATES,
    );
  }

  listLeases(filter: { opId?: string } = {}): LeaseRow[] {
    return filter.opId !== undefined
      ? this.all<LeaseRow>(
          'leases',
          'SELECT * FROM leases WHERE op_id = ? ORDER BY branch, table_key',
          filter.opId,
        )
      : this.all<LeaseRow>('leases', 'SELECT * FROM leases ORDER BY branch, table_key');
  }

  /** Lance branches created by lazy forks (of one branch, or all). */
  listForks(branch?: string): ForkRow[] {
    return branch !== undefined
      ? this.all<ForkRow>(
          'forks',
          'SELECT * FROM forks WHERE branch = ? ORDER BY table_key',
          branch,
        )
      : this.all<ForkRow>('forks', 'SELECT * FROM forks ORDER BY branch, table_key');
  }

  listRecoveryAudit(filter: { originalOpId?: string } = {}): RecoveryAuditRow[] {
    return filter.originalOpId !== undefined
      ? this.all<RecoveryAuditRow>(
          'recoveryAudit',
          'SELECT * FROM recovery_audit WHERE original_op_id = ? ORDER BY time_us',
          filter.originalOpId,
        )
      : this.all<RecoveryAuditRow>(
          'recoveryAudit',
          'SELECT * FROM recovery_audit ORDER BY time_us',
        );
  }

  /** Every projection as stored. */
  readProjections(): JournalState {
    return readProjections(this.db);
  }

  /**
   * The newest recorded schema (`schema.recorded`): its fingerprint, its text when a
   * schema change recorded it, and the fingerprint recorded before it (null if none);
   * null for a repo from before fingerprints.
   */
  recordedSchema(): { hash: string; source: string | null; previousHash: string | null } | null {
    const rows = this.db
      .prepare(
        "SELECT payload FROM events WHERE kind = 'schema.recorded' ORDER BY seq DESC LIMIT 2",
      )
      .all() as Array<{ payload: string }>;
    if (rows.length === 0) return null;
    const [p, before] = rows.map((r) => parsePayload('schema.recorded', JSON.parse(r.payload)));
    return { hash: p.hash, source: p.source ?? null, previousHash: before?.hash ?? null };
  }

  /** The newest recorded schema fingerprint (`schema.recorded`), or null for a repo from before them. */
  recordedSchemaHash(): string | null {
    const row = this.db
      .prepare(
        "SELECT payload FROM events WHERE kind = 'schema.recorded' ORDER BY seq DESC LIMIT 1",
      )
      .get() as { payload: string } | undefined;
    if (!row) return null;
    return parsePayload('schema.recorded', JSON.parse(row.payload)).hash;
  }

  /**
   * Every Lance version cleanup removed, keyed `table_key NUL lance_branch NUL version`
   * (empty string for the main line), with the cleanup's op id.
   */
  cleanedVersions(): Map<string, string> {
    const rows = this.db
      .prepare("SELECT op_id, payload FROM events WHERE kind = 'versions.cleaned' ORDER BY seq")
      .all() as Array<{ op_id: string; payload: string }>;
    const out = new Map<string, string>();
    for (const row of rows)
      for (const t of parsePayload('versions.cleaned', JSON.parse(row.payload)).tables)
        for (const v of t.versions)
          out.set(cleanedVersionKey(t.table_key, t.lance_branch, v), row.op_id);
    return out;
  }

  /**
   * The damage repairs recorded (`repair.damage_recorded`): per version (keyed as
   * `cleanedVersions()`) the commits that pinned it then, and the commits that can no
   * longer be read, each with the repair's op id.
   */
  damageRecords(): DamageRecords {
    const versions = new Map<string, { opId: string; commits: Set<string> }>();
    const unreadableCommits = new Map<string, string>();
    for (const row of this.eventRows('repair.damage_recorded')) {
      const p = parsePayload('repair.damage_recorded', JSON.parse(row.payload));
      for (const v of p.versions) {
        const key = cleanedVersionKey(v.table_key, v.lance_branch, v.version);
        const commits = versions.get(key)?.commits ?? new Set<string>();
        for (const c of v.commits) commits.add(c);
        versions.set(key, { opId: row.op_id, commits });
      }
      for (const c of p.unreadable_commits) unreadableCommits.set(c, row.op_id);
    }
    return { versions, unreadableCommits };
  }

  /**
   * What every Lance file was written as (size, sha256), per table key and path
   * relative to the table directory, from the `files` of every `table.committed`; a
   * later record of a path wins (a version number reused after recovery removed an
   * unpublished, damaged manifest).
   */
  fileRecords(): Map<string, Map<string, FileDigest>> {
    const out = new Map<string, Map<string, FileDigest>>();
    const add = (tableKey: string, files: FileDigest[] | undefined): void => {
      if (!files) return;
      let table = out.get(tableKey);
      if (!table) out.set(tableKey, (table = new Map()));
      for (const f of files) table.set(f.path, f);
    };
    for (const row of this.eventRows('repo.initialized'))
      for (const t of parsePayload('repo.initialized', JSON.parse(row.payload)).tables)
        add(t.table_key, t.files);
    for (const row of this.eventRows('table.committed')) {
      const p = parsePayload('table.committed', JSON.parse(row.payload));
      add(p.table_key, p.files);
    }
    return out;
  }

  private eventRows(kind: EventKind): Array<{ op_id: string; payload: string }> {
    return this.db
      .prepare('SELECT op_id, payload FROM events WHERE kind = ? ORDER BY seq')
      .all(kind) as Array<{ op_id: string; payload: string }>;
  }

  /**
   * Replays every event into memory and compares with the stored projections (in
   * one read transaction, so both see the same moment), plus PRAGMA integrity_check.
   * Invariant I1 (Lance HEAD == pin) needs storage and is checked by the caller.
   */
  verify(): VerifyReport {
    return this.db.transaction(() => {
      const differences: string[] = [];
      const events: JournalEvent[] = [];
      for (const raw of this.db
        .prepare(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`)
        .iterate() as Iterable<Record<string, unknown>>) {
        try {
          events.push(rowToEvent(raw));
        } catch (err) {
          differences.push(`event #${String(raw.seq)}: ${(err as Error).message}`);
        }
      }
      let replayed: JournalState | undefined;
      try {
        replayed = replay(events);
      } catch (err) {
        differences.push(`replay failed: ${(err as Error).message}`);
      }
      if (replayed) differences.push(...diffStates(replayed, readProjections(this.db)));
      const integrity = (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>)
        .map((r) => r.integrity_check)
        .join('\n');
      if (integrity !== 'ok') differences.push(`integrity_check: ${integrity}`);
      return { ok: differences.length === 0, differences, integrity, events: events.length };
    })();
  }
}

/** The key of `cleanedVersions()`. */
export function cleanedVersionKey(
  tableKey: string,
  lanceBranch: string | null,
  version: number,
): string {
  return `${tableKey}\u0000${lanceBranch ?? ''}\u0000${version}`;
}
