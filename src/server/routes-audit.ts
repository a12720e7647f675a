/**
 * Read-only audit endpoints (the Explorer's Operations and Health views, docs/ui.md; any
 * client may use them): the journal's operations, one operation's protocol steps with
 * their timings (what `lancelog journal show --json` prints), the recovery record of an
 * operation (what recovery observed, what it decided and why), and `lancelog doctor`'s
 * checks. All need `admin`, like `/journal` and `/recovery`. Field names follow the
 * CLI's JSON (camelCase), as `/journal`, `/operations/{op_id}` and `/recovery` do.
 */
import { z } from 'zod';
import {
  doctor,
  explainDecision,
  isoFromUs,
  LancelogError,
  operationTimeline,
  type ClassifiedTable,
  type JournalEvent,
  type OperationRow,
  type Repo,
} from '../index.js';
import { route } from './route.js';

const Json = z.record(z.string(), z.unknown());
const OpPath = z.object({ op_id: z.string().min(1) });

const OperationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  branch: z.string().min(1).optional(),
});
export const OperationListSchema = z
  .object({
    operations: z.array(
      z.object({
        opId: z.string(),
        kind: z.string(),
        branch: z.string(),
        actor: z.string(),
        state: z.string(),
        startedUs: z.number().int(),
        updatedUs: z.number().int(),
        durationUs: z.number().int(),
        error: z
          .object({ code: z.string(), message: z.string(), phase: z.string().nullable() })
          .nullable(),
        commitId: z.string().nullable(),
        recovery: z.object({ recoveryOpId: z.string(), decision: z.string() }).nullable(),
        inFlight: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'OperationListOutput' });
export const TimelineSchema = Json.meta({
  id: 'OperationTimelineOutput',
  description:
    'What `lancelog journal show --json` prints: opId, kind, branch, actor, state, outcome, inFlight, started, ended, durationUs, tables, commitId, manifestVersion, error, steps[{seq, kind, phase, time, timeUs, sincePreviousUs, sinceStartUs, tableKey, detail, payload}], recoveredBy[]',
});
export const RecoveryRecordSchema = z
  .object({
    opId: z.string(),
    operation: Json.nullable(),
    pending: z.boolean(),
    records: z.array(
      z.object({
        recoveryOpId: z.string(),
        time: z.string(),
        observed: z.array(Json),
        decision: z.string().nullable(),
        why: z.string().nullable(),
        applied: z.array(Json).nullable(),
        commitId: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'RecoveryRecordOutput' });
export const DoctorSchema = Json.meta({
  id: 'DoctorOutput',
  description:
    'What `lancelog doctor --json` prints (without --deep): repo, ok, checks[], problems[{kind, message, repairable, instructions, branch?, tableKey?, pin?, head?, opId?}], repaired',
});

const DEFAULT_OPERATIONS = 200;

/** Recent operations, newest first, each marked with its failure and the recovery that resolved it. */
function listOperations(repo: Repo, q: z.infer<typeof OperationsQuery>) {
  const begun = repo.listEvents({
    kind: 'op.begun',
    order: 'desc',
    limit: q.limit ?? DEFAULT_OPERATIONS,
    ...(q.branch !== undefined ? { branch: q.branch } : {}),
  });
  const recovered = new Map(repo.recoveryAudit().map((a) => [a.originalOpId, a]));
  const commits = new Map(repo.listCommits().map((c) => [c.opId, c.id]));
  return {
    operations: begun.map((e) => {
      const op = repo.getOperation(e.opId);
      const r = recovered.get(op.opId);
      return {
        opId: op.opId,
        kind: op.kind,
        branch: op.branch,
        actor: op.actor,
        state: op.state,
        startedUs: op.startedUs,
        updatedUs: op.updatedUs,
        durationUs: op.updatedUs - op.startedUs,
        error: op.errorCode
          ? { code: op.errorCode, message: op.errorMessage ?? '', phase: op.errorPhase }
          : null,
        commitId: commits.get(op.opId) ?? null,
        recovery: r ? { recoveryOpId: r.recoveryOpId, decision: r.decision } : null,
        inFlight: op.state !== 'completed' && op.state !== 'rolled_back',
      };
    }),
  };
}

function operationOrNull(repo: Repo, opId: string): OperationRow | null {
  try {
    return repo.getOperation(opId);
  } catch (err) {
    if (err instanceof LancelogError && err.code === 'OperationNotFound') return null;
    throw err;
  }
}

/** Every journal event of an operation; none is OperationNotFound (404). */
function eventsOf(repo: Repo, opId: string): JournalEvent[] {
  const events = repo.listEvents({ opId });
  if (events.length === 0)
    throw new LancelogError(
      'OperationNotFound',
      `operation ${opId} does not exist (no journal event has this op id)`,
      { op_id: opId },
    );
  return events;
}

function timelineOf(repo: Repo, opId: string) {
  return operationTimeline(
    opId,
    eventsOf(repo, opId),
    operationOrNull(repo, opId),
    repo.listEvents({ kind: 'recovery.applied' }),
  );
}

/** The recovery events about `opId`, by the recovery operation that wrote them. */
function recoveryEventsOf(repo: Repo, opId: string): Map<string, JournalEvent[]> {
  const byRecovery = new Map<string, JournalEvent[]>();
  for (const kind of ['recovery.classified', 'recovery.decided', 'recovery.applied'] as const)
    for (const e of repo.listEvents({ kind })) {
      if ((e.payload as { original_op_id: string }).original_op_id !== opId) continue;
      byRecovery.set(e.opId, [...(byRecovery.get(e.opId) ?? []), e]);
    }
  return byRecovery;
}

/** What recovery observed, decided and applied for one operation, and why. */
function recoveryRecord(repo: Repo, opId: string) {
  eventsOf(repo, opId);
  const commits = new Map(repo.recoveryAudit().map((a) => [a.recoveryOpId, a.commitId]));
  const records = [...recoveryEventsOf(repo, opId)].map(([recoveryOpId, events]) => {
    const find = (kind: string) => events.find((e) => e.kind === kind);
    const classified = find('recovery.classified')?.payload as
      { tables: ClassifiedTable[] } | undefined;
    const decided = find('recovery.decided')?.payload as { decision: string } | undefined;
    const applied = find('recovery.applied')?.payload as { tables: unknown[] } | undefined;
    const observed = classified?.tables ?? [];
    const decision = (decided?.decision ?? null) as Parameters<typeof explainDecision>[0] | null;
    return {
      recoveryOpId,
      time: isoFromUs(events[0].timeUs),
      observed,
      decision,
      why: decision === null ? null : explainDecision(decision, observed),
      applied: (applied?.tables as Array<Record<string, unknown>> | undefined) ?? null,
      commitId: commits.get(recoveryOpId) ?? null,
    };
  });
  return {
    opId,
    operation: operationOrNull(repo, opId) as Record<string, unknown> | null,
    pending: repo.pendingRecovery().some((p) => p.opId === opId),
    records,
  };
}

export const auditRoutes = [
  route({
    method: 'GET',
    path: '/operations',
    operationId: 'listOperations',
    summary:
      'Recent operations of the journal, newest first: kind, branch, actor, state, duration, failure, commit and the recovery that resolved it',
    tag: 'lancelog',
    query: OperationsQuery,
    response: OperationListSchema,
    errors: [],
    policy: () => ({ action: 'admin' }),
    handler({ query, server }) {
      return Promise.resolve(listOperations(server.repo, query));
    },
  }),
  route({
    method: 'GET',
    path: '/operations/{op_id}/timeline',
    operationId: 'getOperationTimeline',
    summary:
      'One operation’s journal events as protocol steps (begin, lease, intent, table commits, publish, cleanup, failure, rollback, recovery) with their timings',
    tag: 'lancelog',
    params: OpPath,
    response: TimelineSchema,
    errors: [404],
    policy: () => ({ action: 'admin' }),
    handler({ params, server }) {
      return Promise.resolve(timelineOf(server.repo, params.op_id));
    },
  }),
  route({
    method: 'GET',
    path: '/recovery/{op_id}',
    operationId: 'getRecoveryRecord',
    summary:
      'The recovery record of an operation: what recovery observed per table, what it decided, why, and what it applied',
    tag: 'lancelog',
    params: OpPath,
    response: RecoveryRecordSchema,
    errors: [404],
    policy: () => ({ action: 'admin' }),
    handler({ params, server }) {
      return Promise.resolve(recoveryRecord(server.repo, params.op_id));
    },
  }),
  route({
    method: 'GET',
    path: '/doctor',
    operationId: 'getDoctor',
    summary:
      'lancelog doctor’s checks (journal, replay, schema, operations in flight, HEAD == pin); never repairs',
    tag: 'lancelog',
    response: DoctorSchema,
    errors: [],
    policy: () => ({ action: 'admin' }),
    handler({ server }) {
      return doctor(server.repo.dir);
    },
  }),
];
