/**
 * The journal's commands as pure deciders: `decide(command, state) → events` (or a
 * typed refusal), where `state` is the small slice `commandNeeds(command)` names
 * (working-set.ts) — never the history. evolve() then applies the events.
 *
 * Deciders are pure: every id and timestamp an event carries comes in the command
 * (the journal generates them before deciding), so the same command on the same
 * state always gives the same events. Tests run them given/when/then, without SQLite
 * (test/journal/decide.test.ts).
 */
import { LancelogError } from '../errors.js';
import { preconditionFailed } from './precondition.js';
import { MAIN_BRANCH, validateBranchName } from './branch-names.js';
import { filesOf, type CommittedVersion, type EventBody, type OperationKind } from './events.js';
import { allRows, byTableKey, getRow } from './layout.js';
import {
  branchOf,
  headPins,
  leasesOf,
  operationOf,
  TERMINAL_STATES,
  type BranchRow,
  type CommitRow,
  type ForkRow,
  type JournalState,
  type LeaseRow,
  type ManifestRow,
  type OperationRow,
} from './state.js';
import type { Need } from './working-set.js';

/** An event as a decider emits it; the journal adds seq and time when appending. */
export interface EventDraft {
  opId: string;
  branch: string;
  tableKey: string | null;
  body: EventBody;
}
export interface Decision<R = void> {
  events: EventDraft[];
  result: R;
}

export interface TableRef {
  tableKey: string;
  branch: string;
  expectedVersion: number | null;
}
export interface PublishPin {
  tableKey: string;
  expectedVersion: number | null;
  newVersion: number;
  lanceBranch: string | null;
}

export type JournalCommand =
  | {
      type: 'init';
      path: string;
      opId: string;
      commitId: string;
      tables: CommittedVersion[];
      actor: string;
      message: string;
      /** The schema fingerprint, recorded with the initial commit (`schema.recorded`). */
      schemaHash?: string;
    }
  | {
      type: 'begin';
      opId: string;
      kind: OperationKind;
      branch: string;
      actor: string;
      owner: { pid: number; host: string };
    }
  | {
      type: 'acquireLeases';
      opId: string;
      /** In (branch, table) order. */
      tables: TableRef[];
      owner: { pid: number; host: string; leaseId: string };
      heartbeatUs: number;
    }
  | { type: 'heartbeat'; opId: string; heartbeatUs: number }
  | { type: 'releaseLeases'; opId: string }
  /** Events of a live operation that need no other check (intent, commits, completion, failure, rollback, recovery). */
  | { type: 'opEvents'; opId: string; events: Array<{ body: EventBody; tableKey: string | null }> }
  | {
      type: 'publish';
      /** The publishing operation, or a fresh id for a bare publish. */
      opId: string;
      commitId: string;
      branch: string;
      actor: string;
      message: string | null;
      mergedParentId: string | null;
      /** In table order, each table once. */
      tables: PublishPin[];
      /** Lance commits recorded (`table.committed`) in the publish transaction. */
      committed: CommittedVersion[];
      complete: boolean;
      /** Tables the new manifest no longer pins, each at its expected pin (a schema change). */
      unpin?: PublishPin[];
      /** A schema change: `schema.recorded` (reason `changed`) in the publish transaction. */
      schema?: { hash: string; source: string };
      /** A conditional write: the branch head must still be this commit. */
      expectedHeadCommit?: string;
    }
  | {
      type: 'createBranch';
      opId: string;
      name: string;
      from: { fromBranch?: string; manifestVersion?: number } | { commitId: string };
    }
  | { type: 'deleteBranch'; opId: string; name: string }
  | {
      type: 'recordFork';
      opId: string;
      branch: string;
      tableKey: string;
      lanceBranch: string;
      fromVersion: number;
    };

/** The rows a command's decider reads (loaded from SQL by the journal, see working-set.ts). */
export function commandNeeds(cmd: JournalCommand): Need[] {
  switch (cmd.type) {
    case 'init':
      return [{ kind: 'branch', name: MAIN_BRANCH }];
    case 'begin':
      return [{ kind: 'branch', name: cmd.branch }];
    case 'acquireLeases':
      return [
        { kind: 'operation', opId: cmd.opId },
        ...cmd.tables.flatMap((t): Need[] => [
          { kind: 'branch', name: t.branch },
          { kind: 'lease', branch: t.branch, tableKey: t.tableKey },
        ]),
      ];
    case 'heartbeat':
    case 'releaseLeases':
    case 'opEvents':
      return [{ kind: 'operation', opId: cmd.opId }];
    case 'publish':
      return [
        { kind: 'branch', name: cmd.branch },
        { kind: 'operation', opId: cmd.opId },
        ...cmd.tables.map((t): Need => ({
          kind: 'lease',
          branch: cmd.branch,
          tableKey: t.tableKey,
        })),
      ];
    case 'createBranch': {
      const from = cmd.from;
      if ('commitId' in from)
        return [
          { kind: 'branch', name: cmd.name },
          { kind: 'commit', id: from.commitId },
        ];
      const fromBranch = from.fromBranch ?? MAIN_BRANCH;
      return [
        { kind: 'branch', name: cmd.name },
        { kind: 'branch', name: fromBranch },
        ...(from.manifestVersion !== undefined
          ? [
              {
                kind: 'manifest',
                branch: fromBranch,
                manifestVersion: from.manifestVersion,
              } as Need,
            ]
          : []),
      ];
    }
    case 'deleteBranch':
      return [
        { kind: 'branch', name: cmd.name },
        { kind: 'dependents', branch: cmd.name },
      ];
    case 'recordFork':
      return [
        { kind: 'branch', name: cmd.branch },
        { kind: 'fork', branch: cmd.branch, tableKey: cmd.tableKey },
        { kind: 'operation', opId: cmd.opId },
      ];
  }
}

// ---------------------------------------------------------------- refusals

function liveBranch(state: JournalState, name: string): BranchRow {
  const b = branchOf(state, name);
  if (!b || b.deleted)
    throw new LancelogError('BranchNotFound', `branch ${JSON.stringify(name)} does not exist`, {
      branch: name,
    });
  return b;
}

function liveOperation(state: JournalState, opId: string): OperationRow {
  const op = operationOf(state, opId);
  if (!op)
    throw new LancelogError('OperationNotFound', `operation ${opId} does not exist`, {
      op_id: opId,
    });
  if (TERMINAL_STATES.includes(op.state))
    throw new LancelogError('OperationFinished', `operation ${opId} is already ${op.state}`, {
      op_id: opId,
      state: op.state,
    });
  return op;
}

function checkLeaseAndPin(
  state: JournalState,
  opId: string,
  branch: string,
  tableKey: string,
  expected: number | null,
): void {
  const lease = getRow<LeaseRow>(state, 'leases', [branch, tableKey]);
  if (lease && lease.opId !== opId) {
    throw new LancelogError(
      'LeaseHeld',
      `${tableKey} on branch ${branch} is leased by operation ${lease.opId} (pid ${lease.ownerPid} on ${lease.ownerHost})`,
      {
        table_key: tableKey,
        branch,
        owner: {
          op_id: lease.opId,
          pid: lease.ownerPid,
          host: lease.ownerHost,
          lease_id: lease.leaseId,
          heartbeat_us: lease.heartbeatUs,
        },
      },
    );
  }
  const actual = headPins(state, branch).find((p) => p.tableKey === tableKey)?.version ?? null;
  if (actual !== expected) {
    throw new LancelogError(
      'ExpectedVersionMismatch',
      `${tableKey} on branch ${branch} is pinned at version ${actual ?? 'none'}, expected ${expected ?? 'none'}`,
      { table_key: tableKey, branch, expected, actual },
    );
  }
}

// ---------------------------------------------------------------- deciders

type Cmd<T extends JournalCommand['type']> = Extract<JournalCommand, { type: T }>;

export function decideInit(cmd: Cmd<'init'>, state: JournalState): Decision {
  if (branchOf(state, MAIN_BRANCH))
    throw new LancelogError('JournalExists', `${cmd.path} is already initialized`, {
      path: cmd.path,
    });
  const tables = [...cmd.tables]
    .sort(byTableKey)
    .map((t) => ({ table_key: t.tableKey, version: t.version, ...filesOf(t) }));
  return {
    events: [
      {
        opId: cmd.opId,
        branch: MAIN_BRANCH,
        tableKey: null,
        body: {
          kind: 'repo.initialized',
          payload: { tables, commit_id: cmd.commitId, actor: cmd.actor, message: cmd.message },
        },
      },
      ...(cmd.schemaHash !== undefined
        ? [
            {
              opId: cmd.opId,
              branch: MAIN_BRANCH,
              tableKey: null,
              body: {
                kind: 'schema.recorded' as const,
                payload: { hash: cmd.schemaHash, reason: 'init' as const },
              },
            },
          ]
        : []),
    ],
    result: undefined,
  };
}

export function decideBegin(cmd: Cmd<'begin'>, state: JournalState): Decision {
  liveBranch(state, cmd.branch);
  return {
    events: [
      {
        opId: cmd.opId,
        branch: cmd.branch,
        tableKey: null,
        body: {
          kind: 'op.begun',
          payload: { kind: cmd.kind, branch: cmd.branch, actor: cmd.actor, owner: cmd.owner },
        },
      },
    ],
    result: undefined,
  };
}

export function decideAcquireLeases(cmd: Cmd<'acquireLeases'>, state: JournalState): Decision {
  const op = liveOperation(state, cmd.opId);
  for (const t of cmd.tables) {
    liveBranch(state, t.branch);
    checkLeaseAndPin(state, cmd.opId, t.branch, t.tableKey, t.expectedVersion);
  }
  return {
    events: [
      {
        opId: cmd.opId,
        branch: op.branch,
        tableKey: null,
        body: {
          kind: 'lease.acquired',
          payload: {
            tables: cmd.tables.map((t) => ({ table_key: t.tableKey, branch: t.branch })),
            owner: cmd.owner,
            heartbeat_us: cmd.heartbeatUs,
          },
        },
      },
    ],
    result: undefined,
  };
}

/** Result: how many leases the operation holds (no event when none). */
export function decideHeartbeat(cmd: Cmd<'heartbeat'>, state: JournalState): Decision<number> {
  const op = liveOperation(state, cmd.opId);
  const held = leasesOf(state, cmd.opId).length;
  const body: EventBody = { kind: 'lease.heartbeat', payload: { heartbeat_us: cmd.heartbeatUs } };
  return {
    events: held > 0 ? [{ opId: cmd.opId, branch: op.branch, tableKey: null, body }] : [],
    result: held,
  };
}

/** No event when the operation holds no lease (or does not exist). */
export function decideReleaseLeases(cmd: Cmd<'releaseLeases'>, state: JournalState): Decision {
  const held = leasesOf(state, cmd.opId);
  const op = operationOf(state, cmd.opId);
  if (held.length === 0 || !op) return { events: [], result: undefined };
  const tables = held.map((l) => ({ table_key: l.tableKey, branch: l.branch }));
  return {
    events: [
      {
        opId: cmd.opId,
        branch: op.branch,
        tableKey: null,
        body: { kind: 'lease.released', payload: { tables } },
      },
    ],
    result: undefined,
  };
}

export function decideOpEvents(cmd: Cmd<'opEvents'>, state: JournalState): Decision {
  const { branch } = liveOperation(state, cmd.opId);
  return {
    events: cmd.events.map((e) => ({
      opId: cmd.opId,
      branch,
      tableKey: e.tableKey,
      body: e.body,
    })),
    result: undefined,
  };
}

export interface Published {
  manifestVersion: number;
  commitId: string;
  opId: string;
}

/**
 * The commit point: every pin must equal its expected version and no other operation
 * may lease a published table. Records the listed Lance commits first, then
 * `op.published` (manifest head + 1), then `op.completed` when asked.
 */
export function decidePublish(cmd: Cmd<'publish'>, state: JournalState): Decision<Published> {
  const dup = cmd.tables.find((t, i) => cmd.tables.findIndex((u) => u.tableKey === t.tableKey) < i);
  if (dup)
    throw new LancelogError(
      'InvalidArgument',
      `table ${dup.tableKey} is listed twice in one publish`,
      { table_key: dup.tableKey },
    );
  const branch = liveBranch(state, cmd.branch);
  if (operationOf(state, cmd.opId)) liveOperation(state, cmd.opId);
  if (cmd.expectedHeadCommit !== undefined && branch.headCommitId !== cmd.expectedHeadCommit)
    throw preconditionFailed(cmd.branch, cmd.expectedHeadCommit, branch.headCommitId);
  for (const t of [...cmd.tables, ...(cmd.unpin ?? [])])
    checkLeaseAndPin(state, cmd.opId, cmd.branch, t.tableKey, t.expectedVersion);
  const manifestVersion = branch.headManifestVersion + 1;
  const ev = (tableKey: string | null, body: EventBody): EventDraft => ({
    opId: cmd.opId,
    branch: cmd.branch,
    tableKey,
    body,
  });
  const events: EventDraft[] = cmd.committed.map((c) =>
    ev(c.tableKey, {
      kind: 'table.committed',
      payload: { table_key: c.tableKey, version: c.version, ...filesOf(c) },
    }),
  );
  events.push(
    ev(null, {
      kind: 'op.published',
      payload: {
        manifest_version: manifestVersion,
        commit_id: cmd.commitId,
        pins: cmd.tables.map((t) => ({
          table_key: t.tableKey,
          version: t.newVersion,
          lance_branch: t.lanceBranch,
        })),
        actor: cmd.actor,
        message: cmd.message,
        merged_parent_id: cmd.mergedParentId,
        ...(cmd.unpin?.length ? { unpinned: cmd.unpin.map((t) => t.tableKey) } : {}),
      },
    }),
  );
  if (cmd.schema)
    events.push(
      ev(null, {
        kind: 'schema.recorded',
        payload: { hash: cmd.schema.hash, reason: 'changed', source: cmd.schema.source },
      }),
    );
  // Completed in the same transaction: the sidecar is deleted afterwards, and a
  // sidecar a crash leaves behind is stale (its operation is finished) and removed by recovery.
  if (cmd.complete) events.push(ev(null, { kind: 'op.completed', payload: {} }));
  return { events, result: { manifestVersion, commitId: cmd.commitId, opId: cmd.opId } };
}

export function decideCreateBranch(cmd: Cmd<'createBranch'>, state: JournalState): Decision {
  validateBranchName(cmd.name);
  const existing = branchOf(state, cmd.name);
  if (existing) {
    const deleted = existing.deleted;
    throw new LancelogError(
      'BranchExists',
      `branch ${JSON.stringify(cmd.name)} ${deleted ? 'existed and was deleted; branch names are not reused' : 'already exists'}`,
      { branch: cmd.name, deleted },
    );
  }
  let fromBranch: string;
  let fromMv: number;
  const from = cmd.from;
  if ('commitId' in from) {
    const commit = getRow<CommitRow>(state, 'commits', [from.commitId]);
    if (!commit)
      throw new LancelogError('CommitNotFound', `commit ${from.commitId} does not exist`, {
        commit_id: from.commitId,
      });
    fromBranch = commit.branch;
    fromMv = commit.manifestVersion;
  } else {
    fromBranch = from.fromBranch ?? MAIN_BRANCH;
    const src = liveBranch(state, fromBranch);
    fromMv = from.manifestVersion ?? src.headManifestVersion;
    if (!getRow<ManifestRow>(state, 'manifests', [fromBranch, fromMv])) {
      throw new LancelogError(
        'ManifestVersionNotFound',
        `branch ${fromBranch} has no manifest version ${fromMv}`,
        { branch: fromBranch, manifest_version: fromMv },
      );
    }
  }
  return {
    events: [
      {
        opId: cmd.opId,
        branch: cmd.name,
        tableKey: null,
        body: {
          kind: 'branch.created',
          payload: { name: cmd.name, from_branch: fromBranch, from_manifest_version: fromMv },
        },
      },
    ],
    result: undefined,
  };
}

/** Result: the Lance branches the branch owns (its forks), for the caller to delete. */
export function decideDeleteBranch(
  cmd: Cmd<'deleteBranch'>,
  state: JournalState,
): Decision<Array<{ tableKey: string; lanceBranch: string }>> {
  const name = cmd.name;
  if (name === MAIN_BRANCH)
    throw new LancelogError('InvalidBranchName', 'branch main cannot be deleted', { name });
  liveBranch(state, name);
  const children = allRows<BranchRow>(state, 'branches')
    .filter((b) => !b.deleted && b.parentBranch === name)
    .map((b) => b.name)
    .sort();
  if (children.length > 0)
    throw new LancelogError(
      'BranchInUse',
      `branch ${name} cannot be deleted: ${children.join(', ')} were forked from it`,
      { branch: name, children },
    );
  const busy = allRows<OperationRow>(state, 'operations')
    .filter((o) => o.branch === name && !TERMINAL_STATES.includes(o.state))
    .map((o) => o.opId)
    .sort();
  if (busy.length > 0)
    throw new LancelogError(
      'BranchInUse',
      `branch ${name} has operations in flight: ${busy.join(', ')}`,
      { branch: name, operations: busy },
    );
  const owned = allRows<ForkRow>(state, 'forks')
    .filter((f) => f.branch === name)
    .sort(byTableKey)
    .map((f) => ({ tableKey: f.tableKey, lanceBranch: f.lanceBranch }));
  return {
    events: [
      {
        opId: cmd.opId,
        branch: name,
        tableKey: null,
        body: { kind: 'branch.deleted', payload: { name } },
      },
    ],
    result: owned,
  };
}

/** Idempotent for the same Lance branch (no event); ForkExists for another one. */
export function decideRecordFork(cmd: Cmd<'recordFork'>, state: JournalState): Decision {
  liveBranch(state, cmd.branch);
  const existing = getRow<ForkRow>(state, 'forks', [cmd.branch, cmd.tableKey]);
  if (existing) {
    if (existing.lanceBranch === cmd.lanceBranch) return { events: [], result: undefined };
    throw new LancelogError(
      'ForkExists',
      `${cmd.tableKey} on branch ${cmd.branch} is already forked to Lance branch ${existing.lanceBranch}`,
      { branch: cmd.branch, table_key: cmd.tableKey, lance_branch: existing.lanceBranch },
    );
  }
  return {
    events: [
      {
        opId: cmd.opId,
        branch: cmd.branch,
        tableKey: cmd.tableKey,
        body: {
          kind: 'table.forked',
          payload: {
            table_key: cmd.tableKey,
            lance_branch: cmd.lanceBranch,
            from_version: cmd.fromVersion,
          },
        },
      },
    ],
    result: undefined,
  };
}

/** Any command → its decision (the result typed loosely; the journal calls the typed deciders). */
export function decide(cmd: JournalCommand, state: JournalState): Decision<unknown> {
  switch (cmd.type) {
    case 'init':
      return decideInit(cmd, state);
    case 'begin':
      return decideBegin(cmd, state);
    case 'acquireLeases':
      return decideAcquireLeases(cmd, state);
    case 'heartbeat':
      return decideHeartbeat(cmd, state);
    case 'releaseLeases':
      return decideReleaseLeases(cmd, state);
    case 'opEvents':
      return decideOpEvents(cmd, state);
    case 'publish':
      return decidePublish(cmd, state);
    case 'createBranch':
      return decideCreateBranch(cmd, state);
    case 'deleteBranch':
      return decideDeleteBranch(cmd, state);
    case 'recordFork':
      return decideRecordFork(cmd, state);
  }
}
