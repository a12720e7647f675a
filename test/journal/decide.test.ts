/**
 * The journal's deciders, given/when/then and without SQLite: given events (replayed
 * into a state), when a command, then the events it decides or its typed refusal.
 *
 * Every case also decides on the slice `commandNeeds` names (`selectNeeds`, what the
 * journal loads from SQL): a decider must reach the same answer there as on the full
 * state, or the working set is missing a row it reads.
 */
import { describe, expect, it } from 'vitest';
import { replay, type EventBody, type JournalEvent } from '../../src/journal/index.js';
import { commandNeeds, decide, type JournalCommand } from '../../src/journal/decide.js';
import { selectNeeds } from '../../src/journal/working-set.js';

const P = 'node:Person';
const C = 'node:Company';
const OP = 'op-1';
const OTHER = 'op-2';

/** Events with seq and time filled in, in order. */
function history(
  ...drafts: Array<[opId: string, branch: string, body: EventBody]>
): JournalEvent[] {
  return drafts.map(([opId, branch, body], i) => ({
    seq: i + 1,
    opId,
    timeUs: 1_000 + i,
    branch,
    tableKey: 'payload' in body && 'table_key' in body.payload ? body.payload.table_key : null,
    ...body,
  })) as JournalEvent[];
}

const init: [string, string, EventBody] = [
  'init',
  'main',
  {
    kind: 'repo.initialized',
    payload: {
      tables: [
        { table_key: C, version: 1 },
        { table_key: P, version: 1 },
      ],
      commit_id: 'c1',
      actor: 'a',
      message: null,
    },
  },
];
const begun = (opId: string, branch = 'main'): [string, string, EventBody] => [
  opId,
  branch,
  { kind: 'op.begun', payload: { kind: 'Mutation', branch, actor: 'a' } },
];
const leased = (opId: string, tableKey: string, branch = 'main'): [string, string, EventBody] => [
  opId,
  branch,
  {
    kind: 'lease.acquired',
    payload: {
      tables: [{ table_key: tableKey, branch }],
      owner: { pid: 7, host: 'box', leaseId: opId },
      heartbeat_us: 5,
    },
  },
];
const completed = (opId: string, branch = 'main'): [string, string, EventBody] => [
  opId,
  branch,
  { kind: 'op.completed', payload: {} },
];
const published = (
  opId: string,
  mv: number,
  tableKey: string,
  version: number,
  branch = 'main',
): [string, string, EventBody] => [
  opId,
  branch,
  {
    kind: 'op.published',
    payload: {
      manifest_version: mv,
      commit_id: `c${mv}-${branch}`,
      pins: [{ table_key: tableKey, version, lance_branch: null }],
      actor: 'a',
      message: null,
      merged_parent_id: null,
    },
  },
];
const branched = (name: string, from = 'main', mv = 1): [string, string, EventBody] => [
  `b-${name}`,
  name,
  { kind: 'branch.created', payload: { name, from_branch: from, from_manifest_version: mv } },
];
const deleted = (name: string): [string, string, EventBody] => [
  `d-${name}`,
  name,
  { kind: 'branch.deleted', payload: { name } },
];
const forked = (branch: string, tableKey: string): [string, string, EventBody] => [
  `f-${branch}`,
  branch,
  {
    kind: 'table.forked',
    payload: { table_key: tableKey, lance_branch: `${branch}-lb`, from_version: 1 },
  },
];

type Outcome = { events: Array<Omit<JournalEvent, 'seq' | 'timeUs'>>; result: unknown } | string;

function outcome(cmd: JournalCommand, state: ReturnType<typeof replay>): Outcome {
  try {
    const d = decide(cmd, state);
    return {
      events: d.events.map((e) => ({
        opId: e.opId,
        branch: e.branch,
        tableKey: e.tableKey,
        ...e.body,
      })) as Outcome extends infer O ? (O extends { events: infer E } ? E : never) : never,
      result: d.result,
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code) throw err;
    return code;
  }
}

/** given → when → then; the same outcome on the full state and on the command's slice. */
function given(...drafts: Array<[string, string, EventBody]>) {
  const full = replay(history(...drafts));
  return {
    when(cmd: JournalCommand): Outcome {
      const onFull = outcome(cmd, full);
      const onSlice = outcome(cmd, selectNeeds(full, commandNeeds(cmd)));
      expect(onSlice).toEqual(onFull);
      return onFull;
    },
  };
}

const kinds = (o: Outcome) => (typeof o === 'string' ? o : o.events.map((e) => e.kind));

const owner = { pid: 7, host: 'box', leaseId: OP };
const lease = (
  tableKey: string,
  expectedVersion: number | null,
  branch = 'main',
): JournalCommand => ({
  type: 'acquireLeases',
  opId: OP,
  tables: [{ tableKey, branch, expectedVersion }],
  owner,
  heartbeatUs: 9,
});
const publish = (
  tables: Array<{ tableKey: string; expectedVersion: number | null; newVersion: number }>,
  extra: Partial<Extract<JournalCommand, { type: 'publish' }>> = {},
): JournalCommand => ({
  type: 'publish',
  opId: OP,
  commitId: 'new-commit',
  branch: 'main',
  actor: 'a',
  message: null,
  mergedParentId: null,
  tables: tables.map((t) => ({ ...t, lanceBranch: null })),
  committed: [],
  complete: false,
  ...extra,
});

describe('deciders: init and begin', () => {
  it('init on an empty journal records repo.initialized with the tables sorted; twice → JournalExists', () => {
    const cmd: JournalCommand = {
      type: 'init',
      path: '/r/_lancelog.db',
      opId: 'i',
      commitId: 'c1',
      tables: [
        { tableKey: P, version: 1 },
        { tableKey: C, version: 3 },
      ],
      actor: 'a',
      message: 'hello',
    };
    expect(given().when(cmd)).toEqual({
      events: [
        {
          opId: 'i',
          branch: 'main',
          tableKey: null,
          kind: 'repo.initialized',
          payload: {
            tables: [
              { table_key: C, version: 3 },
              { table_key: P, version: 1 },
            ],
            commit_id: 'c1',
            actor: 'a',
            message: 'hello',
          },
        },
      ],
      result: undefined,
    });
    expect(given(init).when(cmd)).toBe('JournalExists');
  });

  it('begin on a live branch records op.begun; a missing or deleted branch → BranchNotFound', () => {
    const begin = (branch: string): JournalCommand => ({
      type: 'begin',
      opId: OP,
      kind: 'Load',
      branch,
      actor: 'a',
      owner: { pid: 1, host: 'h' },
    });
    const o = given(init).when(begin('main'));
    expect(o).toMatchObject({
      events: [
        {
          kind: 'op.begun',
          opId: OP,
          payload: { kind: 'Load', branch: 'main', owner: { pid: 1, host: 'h' } },
        },
      ],
    });
    expect(given(init).when(begin('nope'))).toBe('BranchNotFound');
    expect(given(init, branched('x'), deleted('x')).when(begin('x'))).toBe('BranchNotFound');
  });
});

describe('deciders: leases', () => {
  it('acquire: lease.acquired at the expected pins; own lease refreshes', () => {
    expect(given(init, begun(OP)).when(lease(P, 1))).toMatchObject({
      events: [
        {
          kind: 'lease.acquired',
          payload: { tables: [{ table_key: P, branch: 'main' }], owner, heartbeat_us: 9 },
        },
      ],
    });
    expect(kinds(given(init, begun(OP), leased(OP, P)).when(lease(P, 1)))).toEqual([
      'lease.acquired',
    ]);
  });

  it('acquire refuses: lease held, CAS mismatch, branch missing, operation missing or finished', () => {
    expect(given(init, begun(OP), begun(OTHER), leased(OTHER, P)).when(lease(P, 1))).toBe(
      'LeaseHeld',
    );
    expect(given(init, begun(OP)).when(lease(P, 2))).toBe('ExpectedVersionMismatch');
    expect(given(init, begun(OP), published(OTHER, 2, P, 2)).when(lease(P, 1))).toBe(
      'ExpectedVersionMismatch',
    );
    expect(given(init, begun(OP)).when(lease('node:Nope', null))).toEqual({
      events: [expect.objectContaining({ kind: 'lease.acquired' })],
      result: undefined,
    }); // an absent table is pinned at null
    expect(given(init, begun(OP)).when(lease(P, 1, 'nope'))).toBe('BranchNotFound');
    expect(given(init).when(lease(P, 1))).toBe('OperationNotFound');
    expect(given(init, begun(OP), completed(OP)).when(lease(P, 1))).toBe('OperationFinished');
  });

  it('heartbeat: one event while leases are held (result: how many), none without; finished → OperationFinished', () => {
    const hb: JournalCommand = { type: 'heartbeat', opId: OP, heartbeatUs: 42 };
    expect(given(init, begun(OP), leased(OP, P), leased(OP, C)).when(hb)).toEqual({
      events: [
        {
          opId: OP,
          branch: 'main',
          tableKey: null,
          kind: 'lease.heartbeat',
          payload: { heartbeat_us: 42 },
        },
      ],
      result: 2,
    });
    expect(given(init, begun(OP)).when(hb)).toEqual({ events: [], result: 0 });
    expect(given(init, begun(OP), leased(OP, P), completed(OP)).when(hb)).toBe('OperationFinished');
    expect(given(init).when(hb)).toBe('OperationNotFound');
  });

  it('release: lease.released of every lease held; nothing when none (or no such operation)', () => {
    const rel: JournalCommand = { type: 'releaseLeases', opId: OP };
    expect(given(init, begun(OP), leased(OP, P)).when(rel)).toMatchObject({
      events: [{ kind: 'lease.released', payload: { tables: [{ table_key: P, branch: 'main' }] } }],
    });
    expect(given(init, begun(OP)).when(rel)).toEqual({ events: [], result: undefined });
    expect(given(init).when(rel)).toEqual({ events: [], result: undefined });
  });
});

describe('deciders: operation events and publish', () => {
  it("op events go on the operation's branch; a missing or finished operation is refused", () => {
    const cmd: JournalCommand = {
      type: 'opEvents',
      opId: OP,
      events: [
        { body: { kind: 'table.commit_started', payload: { table_key: P } }, tableKey: P },
        { body: { kind: 'op.completed', payload: {} }, tableKey: null },
      ],
    };
    expect(given(init, branched('f'), begun(OP, 'f')).when(cmd)).toMatchObject({
      events: [
        { kind: 'table.commit_started', branch: 'f', tableKey: P },
        { kind: 'op.completed', branch: 'f', tableKey: null },
      ],
    });
    expect(given(init).when(cmd)).toBe('OperationNotFound');
    expect(given(init, begun(OP), completed(OP)).when(cmd)).toBe('OperationFinished');
  });

  it('publish: committed tables, op.published at head + 1 and op.completed in one decision', () => {
    const o = given(init, begun(OP), leased(OP, P), published(OTHER, 2, C, 5)).when(
      publish([{ tableKey: P, expectedVersion: 1, newVersion: 2 }], {
        committed: [{ tableKey: P, version: 2 }],
        complete: true,
      }),
    );
    expect(kinds(o)).toEqual(['table.committed', 'op.published', 'op.completed']);
    expect(o).toMatchObject({
      events: [
        { tableKey: P, payload: { table_key: P, version: 2 } },
        {
          payload: {
            manifest_version: 3,
            commit_id: 'new-commit',
            pins: [{ table_key: P, version: 2, lance_branch: null }],
          },
        },
        {},
      ],
      result: { manifestVersion: 3, commitId: 'new-commit', opId: OP },
    });
    // A bare publish: an op id no operation has.
    expect(
      kinds(given(init).when(publish([{ tableKey: P, expectedVersion: 1, newVersion: 2 }]))),
    ).toEqual(['op.published']);
  });

  it('publish refuses: CAS mismatch, lease held by another operation, branch missing, operation finished, a table twice', () => {
    const one = [{ tableKey: P, expectedVersion: 1, newVersion: 2 }];
    expect(given(init).when(publish([{ tableKey: P, expectedVersion: 3, newVersion: 4 }]))).toBe(
      'ExpectedVersionMismatch',
    );
    expect(given(init, begun(OTHER), leased(OTHER, P)).when(publish(one))).toBe('LeaseHeld');
    expect(given(init).when(publish(one, { branch: 'nope' }))).toBe('BranchNotFound');
    expect(given(init, begun(OP), completed(OP)).when(publish(one))).toBe('OperationFinished');
    expect(given(init).when(publish([...one, ...one]))).toBe('InvalidArgument');
  });
});

describe('deciders: branches and forks', () => {
  const create = (
    name: string,
    from: Extract<JournalCommand, { type: 'createBranch' }>['from'] = {},
  ): JournalCommand => ({ type: 'createBranch', opId: 'b', name, from });

  it('create: from a head, a manifest version or a commit', () => {
    const h = given(init, published(OTHER, 2, P, 2));
    expect(h.when(create('f'))).toMatchObject({
      events: [
        {
          kind: 'branch.created',
          branch: 'f',
          payload: { name: 'f', from_branch: 'main', from_manifest_version: 2 },
        },
      ],
    });
    expect(h.when(create('f', { manifestVersion: 1 }))).toMatchObject({
      events: [{ payload: { from_manifest_version: 1 } }],
    });
    expect(h.when(create('f', { commitId: 'c2-main' }))).toMatchObject({
      events: [{ payload: { from_branch: 'main', from_manifest_version: 2 } }],
    });
  });

  it('create refuses: existing or once-deleted name, missing source, manifest or commit, bad name', () => {
    const h = given(init, branched('x'), branched('gone'), deleted('gone'));
    expect(h.when(create('x'))).toBe('BranchExists');
    expect(h.when(create('gone'))).toBe('BranchExists');
    expect(h.when(create('y', { fromBranch: 'nope' }))).toBe('BranchNotFound');
    expect(h.when(create('y', { fromBranch: 'gone' }))).toBe('BranchNotFound');
    expect(h.when(create('y', { manifestVersion: 9 }))).toBe('ManifestVersionNotFound');
    expect(h.when(create('y', { commitId: 'nope' }))).toBe('CommitNotFound');
    expect(h.when(create('__y'))).toBe('InvalidBranchName');
  });

  it('delete: branch.deleted, result = the Lance branches it owns', () => {
    const del: JournalCommand = { type: 'deleteBranch', opId: 'd', name: 'x' };
    expect(
      given(init, branched('x'), forked('x', P), branched('y'), forked('y', C)).when(del),
    ).toEqual({
      events: [
        {
          opId: 'd',
          branch: 'x',
          tableKey: null,
          kind: 'branch.deleted',
          payload: { name: 'x' },
        },
      ],
      result: [{ tableKey: P, lanceBranch: 'x-lb' }],
    });
    // A deleted child no longer holds its parent; a finished operation does not either.
    expect(
      kinds(
        given(
          init,
          branched('x'),
          branched('k', 'x'),
          deleted('k'),
          begun(OP, 'x'),
          completed(OP, 'x'),
        ).when(del),
      ),
    ).toEqual(['branch.deleted']);
  });

  it('delete refuses: main, missing, live children, operations in flight', () => {
    const del = (name: string): JournalCommand => ({ type: 'deleteBranch', opId: 'd', name });
    expect(given(init).when(del('main'))).toBe('InvalidBranchName');
    expect(given(init).when(del('x'))).toBe('BranchNotFound');
    expect(given(init, branched('x'), deleted('x')).when(del('x'))).toBe('BranchNotFound');
    expect(given(init, branched('x'), branched('k', 'x')).when(del('x'))).toBe('BranchInUse');
    expect(given(init, branched('x'), begun(OP, 'x')).when(del('x'))).toBe('BranchInUse');
  });

  it('fork: table.forked once; the same Lance branch again → nothing; another → ForkExists; branch missing', () => {
    const fork = (branch: string, lanceBranch: string): JournalCommand => ({
      type: 'recordFork',
      opId: OP,
      branch,
      tableKey: P,
      lanceBranch,
      fromVersion: 1,
    });
    expect(given(init, branched('x')).when(fork('x', 'x-lb'))).toMatchObject({
      events: [
        {
          kind: 'table.forked',
          branch: 'x',
          tableKey: P,
          payload: { table_key: P, lance_branch: 'x-lb', from_version: 1 },
        },
      ],
    });
    expect(given(init, branched('x'), forked('x', P)).when(fork('x', 'x-lb'))).toEqual({
      events: [],
      result: undefined,
    });
    expect(given(init, branched('x'), forked('x', P)).when(fork('x', 'other'))).toBe('ForkExists');
    expect(given(init).when(fork('x', 'x-lb'))).toBe('BranchNotFound');
  });
});
