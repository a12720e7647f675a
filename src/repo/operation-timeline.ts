/**
 * An operation's journal events as a timeline: the protocol phase of each event kind, one
 * line of detail per event, and the steps of one operation with their timings, outcome,
 * error and the recovery that resolved it. Shared by `lancelog journal show` and the
 * server's `GET /operations/{op_id}/timeline` (the Explorer's Operations view). Plain data:
 * no I/O.
 */
import type { EventKind, JournalEvent, OperationRow } from '../journal/index.js';

/** Microseconds since the epoch as an ISO-8601 UTC string with microsecond precision. */
export function isoFromUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // …T12:34:56.789Z
  const micros = String(((us % 1000) + 1000) % 1000).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}

const lb = (b: string | null) => (b === null ? '' : `@${b}`);

/** One line describing what an event says (human output). */
export function eventDetail(e: JournalEvent): string {
  switch (e.kind) {
    case 'repo.initialized':
      return `${e.payload.tables.length} tables, commit ${e.payload.commit_id} by ${e.payload.actor}`;
    case 'op.begun':
      return `${e.payload.kind} by ${e.payload.actor}`;
    case 'lease.acquired':
      return `${e.payload.tables.map((t) => t.table_key).join(', ')} (pid ${e.payload.owner.pid} on ${e.payload.owner.host})`;
    case 'lease.heartbeat':
      return '';
    case 'lease.released':
      return e.payload.tables.map((t) => t.table_key).join(', ');
    case 'op.intent_recorded':
      return e.payload.tables
        .map(
          (t) =>
            `${t.table_key}${lb(t.lance_branch)} v${t.expected_version}→${t.post_commit_version === null ? 'several commits' : `v${t.post_commit_version}`}`,
        )
        .join(', ');
    case 'table.commit_started':
      return '';
    case 'table.committed':
      return `v${e.payload.version}${e.payload.files ? ` (${e.payload.files.length} file(s) checksummed)` : ''}`;
    case 'op.published':
      return `manifest ${e.payload.manifest_version}, commit ${e.payload.commit_id} by ${e.payload.actor}${e.payload.pins.length ? `: ${e.payload.pins.map((p) => `${p.table_key}${lb(p.lance_branch)}→v${p.version}`).join(', ')}` : ''}`;
    case 'op.completed':
      return '';
    case 'op.failed':
      return `[${e.payload.error.code}] ${e.payload.error.message} (phase ${e.payload.phase})`;
    case 'op.rolled_back':
      return e.payload.tables.map((t) => `${t.table_key} v${t.from}→v${t.to}`).join(', ');
    case 'recovery.classified':
      return `op ${e.payload.original_op_id}: ${e.payload.tables.map((t) => `${t.table_key} ${t.class}`).join(', ')}`;
    case 'recovery.decided':
      return `op ${e.payload.original_op_id}: ${e.payload.decision}`;
    case 'recovery.applied':
      return `op ${e.payload.original_op_id}: ${e.payload.decision}${e.payload.tables.length ? ` ${e.payload.tables.map((t) => `${t.table_key} v${t.from}→v${t.to}`).join(', ')}` : ''}`;
    case 'branch.created':
      return `${e.payload.name} from ${e.payload.from_branch} at manifest ${e.payload.from_manifest_version}`;
    case 'branch.deleted':
      return e.payload.name;
    case 'table.forked':
      return `Lance branch ${e.payload.lance_branch} from v${e.payload.from_version}`;
    case 'schema.recorded':
      return `schema ${e.payload.hash.slice(0, 12)} (${e.payload.reason})`;
    case 'versions.cleaned':
      return e.payload.tables
        .map((t) => `${t.table_key}${lb(t.lance_branch)} ${t.versions.length} version(s)`)
        .join(', ');
    case 'repair.damage_recorded':
      return `${e.payload.versions.map((v) => `${v.table_key}${lb(v.lance_branch)} v${v.version} damaged`).join(', ')}; unreadable commits: ${e.payload.unreadable_commits.join(', ') || 'none'}; dropped commits: ${e.payload.dropped_commits.join(', ') || 'none'}`;
  }
}

/** The protocol phase (docs/architecture.md §Life of a write) an event belongs to. */
export function phaseOf(kind: EventKind): string {
  switch (kind) {
    case 'op.begun':
      return 'begin';
    case 'lease.acquired':
    case 'lease.heartbeat':
    case 'lease.released':
      return 'lease';
    case 'op.intent_recorded':
      return 'intent';
    case 'table.commit_started':
    case 'table.committed':
    case 'table.forked':
      return 'table_commit';
    case 'op.published':
    case 'repo.initialized':
      return 'publish';
    case 'op.completed':
      return 'cleanup';
    case 'op.failed':
      return 'failed';
    case 'op.rolled_back':
      return 'rollback';
    case 'recovery.classified':
    case 'recovery.decided':
    case 'recovery.applied':
      return 'recovery';
    case 'branch.created':
    case 'branch.deleted':
      return 'branch';
    case 'schema.recorded':
      return 'schema';
    case 'versions.cleaned':
    case 'repair.damage_recorded':
      return 'maintenance';
  }
}

/** Table keys an event names (envelope and payload). */
function tablesOf(e: JournalEvent): string[] {
  const keys = new Set<string>();
  if (e.tableKey) keys.add(e.tableKey);
  const p = e.payload as {
    tables?: Array<{ table_key: string }>;
    pins?: Array<{ table_key: string }>;
    versions?: Array<{ table_key: string }>;
  };
  for (const t of [...(p.tables ?? []), ...(p.pins ?? []), ...(p.versions ?? [])])
    keys.add(t.table_key);
  return [...keys];
}

/** The error an operation ended with: its row's, else its last `op.failed` event's. */
function operationError(events: JournalEvent[], op: OperationRow | null) {
  const failed = [...events].reverse().find((e) => e.kind === 'op.failed');
  return op?.errorCode
    ? { code: op.errorCode, message: op.errorMessage ?? '', phase: op.errorPhase }
    : failed?.kind === 'op.failed'
      ? {
          code: failed.payload.error.code,
          message: failed.payload.error.message,
          phase: failed.payload.phase,
        }
      : null;
}

/** `journal show`: the timeline of one operation. */
export function operationTimeline(
  opId: string,
  events: JournalEvent[],
  op: OperationRow | null,
  recoveries: JournalEvent[],
) {
  const start = events[0].timeUs;
  let prev = start;
  const steps = events.map((e) => {
    const step = {
      seq: e.seq,
      kind: e.kind,
      phase: phaseOf(e.kind),
      time: isoFromUs(e.timeUs),
      timeUs: e.timeUs,
      sincePreviousUs: e.timeUs - prev,
      sinceStartUs: e.timeUs - start,
      tableKey: e.tableKey,
      detail: eventDetail(e),
      payload: e.payload,
    };
    prev = e.timeUs;
    return step;
  });
  const tables = [...new Set(events.flatMap(tablesOf))].sort();
  const error = operationError(events, op);
  const published = events.find((e) => e.kind === 'op.published');
  const first = events[0];
  // Events outside the write protocol (init, branch admin, a bare publish) have no operation row.
  const outcome = op ? op.state : published ? 'published' : first.kind;
  const last = events[events.length - 1];
  return {
    opId,
    kind: op?.kind ?? null,
    branch: op?.branch ?? first.branch,
    actor:
      op?.actor ??
      (published?.kind === 'op.published'
        ? published.payload.actor
        : first.kind === 'repo.initialized'
          ? first.payload.actor
          : null),
    state: op?.state ?? null,
    outcome,
    inFlight: op !== null && op.state !== 'completed' && op.state !== 'rolled_back',
    started: isoFromUs(start),
    ended: isoFromUs(last.timeUs),
    durationUs: last.timeUs - start,
    tables,
    commitId: published?.kind === 'op.published' ? published.payload.commit_id : null,
    manifestVersion: published?.kind === 'op.published' ? published.payload.manifest_version : null,
    error,
    steps,
    recoveredBy: recoveries.flatMap((r) =>
      r.kind === 'recovery.applied' && r.payload.original_op_id === opId
        ? [{ recoveryOpId: r.opId, decision: r.payload.decision, time: isoFromUs(r.timeUs) }]
        : [],
    ),
  };
}

/** `journal show`'s answer: one operation's timeline. */
export type OperationTimeline = ReturnType<typeof operationTimeline>;
