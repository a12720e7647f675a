/**
 * The working set of one journal write: the few projection rows its decision and
 * its events' evolve() read, loaded from SQL inside the write's BEGIN IMMEDIATE
 * transaction. History (old manifests, commits, audit rows, finished operations) is
 * never loaded to write.
 *
 * A `Need` names a group of rows. The same needs are served two ways, which a test
 * keeps equal: `loadNeeds` reads them from the SQL projections (the write path), and
 * `selectNeeds` copies them out of a full in-memory JournalState (decider tests, and
 * the check that a decider sees the same thing in a slice as in the full state).
 *
 * Why a slice is enough: evolve() reads only the rows named by `eventNeeds(event)`
 * (the event's operation with its leases, the branch it publishes on with its head
 * pins, the manifest a branch is created from, the original operation recovery
 * resolves), and the deciders only those named by `commandNeeds` (decide.ts). Every
 * need is loaded before any event of the transaction is evolved, from one
 * consistent snapshot, so evolving the slice gives the full state restricted to it;
 * the patches then name exactly the rows to write.
 */
import type Database from 'better-sqlite3';
import type { JournalEvent } from './events.js';
import { allRows, getRow, PROJECTIONS, putRow, rowsUnder } from './layout.js';
import { prepared, mapRow } from './projections.js';
import {
  branchOf,
  emptyState,
  IN_FLIGHT_STATES,
  TERMINAL_STATES,
  type BranchRow,
  type CommitRow,
  type ForkRow,
  type JournalState,
  type LeaseRow,
  type ManifestRow,
  type OperationRow,
  type PinRow,
} from './state.js';

export type Need =
  /** The branch row, its head manifest and the head's pins. */
  | { kind: 'branch'; name: string }
  /** One manifest row of a branch and its pins. */
  | { kind: 'manifest'; branch: string; manifestVersion: number }
  /** The operation row and every lease it holds. */
  | { kind: 'operation'; opId: string }
  /** Whoever leases (branch, table). */
  | { kind: 'lease'; branch: string; tableKey: string }
  | { kind: 'commit'; id: string }
  | { kind: 'fork'; branch: string; tableKey: string }
  /** What deleting a branch depends on: its child branches, its in-flight operations, its forks. */
  | { kind: 'dependents'; branch: string };

export function needKey(n: Need): string {
  switch (n.kind) {
    case 'branch':
      return `b\u0000${n.name}`;
    case 'manifest':
      return `m\u0000${n.branch}\u0000${n.manifestVersion}`;
    case 'operation':
      return `o\u0000${n.opId}`;
    case 'lease':
      return `l\u0000${n.branch}\u0000${n.tableKey}`;
    case 'commit':
      return `c\u0000${n.id}`;
    case 'fork':
      return `f\u0000${n.branch}\u0000${n.tableKey}`;
    case 'dependents':
      return `d\u0000${n.branch}`;
  }
}

/** What evolve() reads to apply `event` (see the module comment). */
export function eventNeeds(event: JournalEvent): Need[] {
  const needs: Need[] = [{ kind: 'operation', opId: event.opId }];
  switch (event.kind) {
    case 'repo.initialized':
    case 'op.published':
      needs.push({ kind: 'branch', name: event.branch });
      break;
    case 'recovery.applied':
      needs.push({ kind: 'operation', opId: event.payload.original_op_id });
      break;
    case 'branch.created':
      needs.push(
        { kind: 'branch', name: event.payload.name },
        {
          kind: 'manifest',
          branch: event.payload.from_branch,
          manifestVersion: event.payload.from_manifest_version,
        },
      );
      break;
    case 'branch.deleted':
      needs.push({ kind: 'branch', name: event.payload.name });
      break;
    default:
      break;
  }
  return needs;
}

// ---------------------------------------------------------------- in memory

/** The rows `needs` name, copied out of a full state (the reference for loadNeeds). */
export function selectNeeds(full: JournalState, needs: readonly Need[]): JournalState {
  const slice = emptyState();
  const put = (field: keyof JournalState, row: object | undefined) => {
    if (row) putRow(slice, field, row);
  };
  const putManifest = (branch: string, mv: number) => {
    put('manifests', getRow<ManifestRow>(full, 'manifests', [branch, mv]));
    for (const pin of rowsUnder<PinRow>(full, 'pins', [branch, mv])) put('pins', pin);
  };
  for (const n of needs) {
    switch (n.kind) {
      case 'branch': {
        const b = branchOf(full, n.name);
        put('branches', b);
        if (b) putManifest(n.name, b.headManifestVersion);
        break;
      }
      case 'manifest':
        putManifest(n.branch, n.manifestVersion);
        break;
      case 'operation':
        put('operations', getRow<OperationRow>(full, 'operations', [n.opId]));
        for (const l of allRows<LeaseRow>(full, 'leases')) if (l.opId === n.opId) put('leases', l);
        break;
      case 'lease':
        put('leases', getRow<LeaseRow>(full, 'leases', [n.branch, n.tableKey]));
        break;
      case 'commit':
        put('commits', getRow<CommitRow>(full, 'commits', [n.id]));
        break;
      case 'fork':
        put('forks', getRow<ForkRow>(full, 'forks', [n.branch, n.tableKey]));
        break;
      case 'dependents':
        for (const b of allRows<BranchRow>(full, 'branches'))
          if (b.parentBranch === n.branch) put('branches', b);
        for (const o of allRows<OperationRow>(full, 'operations'))
          if (o.branch === n.branch && !TERMINAL_STATES.includes(o.state)) put('operations', o);
        for (const f of allRows<ForkRow>(full, 'forks')) if (f.branch === n.branch) put('forks', f);
        break;
    }
  }
  return slice;
}

// ---------------------------------------------------------------- from SQL

const COLUMNS = Object.fromEntries(
  PROJECTIONS.map((p) => [p.field, p.columns.map((c) => c.col).join(', ')]),
) as Record<keyof JournalState, string>;

/** Rows read by loadNeeds, per database handle (tests assert a write reads no history). */
export interface ReadCount {
  rows: number;
  statements: number;
}
export const rowsRead: WeakMap<Database.Database, ReadCount> = new WeakMap();

/** Runs one working-set SELECT on a projection and puts its rows into `into`. */
function select(
  db: Database.Database,
  into: JournalState,
  c: ReadCount,
  field: keyof JournalState,
  where: string,
  ...params: unknown[]
): Array<Record<string, unknown>> {
  const raws = prepared(db, SELECTS[field](where)).all(...params) as Record<string, unknown>[];
  c.statements++;
  c.rows += raws.length;
  const rows = raws.map((r) => mapRow<Record<string, unknown>>(field, r));
  for (const row of rows) putRow(into, field, row);
  return rows;
}

/** SQL text per (projection, WHERE clause), built once: `prepared` is keyed by it. */
const SELECTS = Object.fromEntries(
  PROJECTIONS.map((p) => {
    const texts = new Map<string, string>();
    return [
      p.field,
      (where: string) => {
        let sql = texts.get(where);
        if (!sql)
          texts.set(where, (sql = `SELECT ${COLUMNS[p.field]} FROM ${p.table} WHERE ${where}`));
        return sql;
      },
    ];
  }),
) as Record<keyof JournalState, (where: string) => string>;

const IN_FLIGHT_OF_BRANCH = `state IN (${IN_FLIGHT_STATES.map(() => '?').join(', ')}) AND branch = ?`;

/** Loads one need's rows (see loadNeeds). */
function loadNeed(db: Database.Database, n: Need, into: JournalState, c: ReadCount): void {
  const manifest = (branch: string, mv: number) => {
    select(db, into, c, 'manifests', 'branch = ? AND manifest_version = ?', branch, mv);
    select(db, into, c, 'pins', 'branch = ? AND manifest_version = ?', branch, mv);
  };
  switch (n.kind) {
    case 'branch': {
      const [b] = select(db, into, c, 'branches', 'name = ?', n.name) as unknown as BranchRow[];
      if (b) manifest(n.name, b.headManifestVersion);
      break;
    }
    case 'manifest':
      manifest(n.branch, n.manifestVersion);
      break;
    case 'operation':
      select(db, into, c, 'operations', 'op_id = ?', n.opId);
      select(db, into, c, 'leases', 'op_id = ?', n.opId);
      break;
    case 'lease':
      select(db, into, c, 'leases', 'branch = ? AND table_key = ?', n.branch, n.tableKey);
      break;
    case 'commit':
      select(db, into, c, 'commits', 'id = ?', n.id);
      break;
    case 'fork':
      select(db, into, c, 'forks', 'branch = ? AND table_key = ?', n.branch, n.tableKey);
      break;
    case 'dependents':
      select(db, into, c, 'branches', 'parent_branch = ?', n.branch);
      // `state IN (…)` so the lookup goes through operations_by_state, not every operation.
      select(db, into, c, 'operations', IN_FLIGHT_OF_BRANCH, ...IN_FLIGHT_STATES, n.branch);
      select(db, into, c, 'forks', 'branch = ?', n.branch);
      break;
  }
}

/**
 * Loads the rows `needs` name into `into` (mutates it), skipping needs whose key is
 * in `loaded` (and adding the others). Call inside the write transaction, before
 * evolving any event of it. Every statement is a primary-key or index lookup.
 */
export function loadNeeds(
  db: Database.Database,
  needs: readonly Need[],
  into: JournalState,
  loaded: Set<string>,
): void {
  let counter = rowsRead.get(db);
  if (!counter) rowsRead.set(db, (counter = { rows: 0, statements: 0 }));
  for (const n of needs) {
    const key = needKey(n);
    if (loaded.has(key)) continue;
    loaded.add(key);
    loadNeed(db, n, into, counter);
  }
}
