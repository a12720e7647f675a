import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/index.js';
import { codeOf, newJournal } from './helpers.js';

const PERSON_INTENT = [
  { tableKey: 'node:Person', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
];

/** Counts the write transactions of a journal and the synchronous setting inside each. */
function watchTransactions(j: Journal): number[] {
  const db = (j as unknown as { db: import('better-sqlite3').Database }).db;
  const seen: number[] = [];
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) =>
    transaction((...a: unknown[]) => {
      seen.push(db.pragma('synchronous', { simple: true }) as number);
      return fn(...a);
    })) as typeof db.transaction;
  return seen;
}

describe('startOperation: op.begun, leases, intent and commit_started in one transaction', () => {
  it('appends the same events, in the same order, as the separate steps — in one fsync’d transaction', () => {
    const j = newJournal();
    const seen = watchTransactions(j);
    const opId = Journal.newOperationId();
    const owner = { pid: process.pid, host: 'h', leaseId: opId };
    j.startOperation(
      { opId, kind: 'Mutation', branch: 'main', actor: 'alice' },
      [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }],
      owner,
      PERSON_INTENT,
      ['node:Person'],
    );
    expect(seen).toEqual([2]); // one transaction, synchronous=FULL
    expect(j.listEvents({ opId }).map((e) => e.kind)).toEqual([
      'op.begun',
      'lease.acquired',
      'op.intent_recorded',
      'table.commit_started',
    ]);
    expect(j.getOperation(opId).state).toBe('committing');
    expect(j.listLeases({ opId }).map((l) => l.tableKey)).toEqual(['node:Person']);
    // The same events through the separate methods give the same projections.
    const k = newJournal();
    const op2 = k.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'alice', opId });
    k.acquireLeases(op2, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }], owner);
    k.recordIntent(op2, PERSON_INTENT, { commitStarted: 'node:Person' });
    expect(k.listEvents({ opId }).map((e) => [e.kind, e.payload])).toEqual(
      j
        .listEvents({ opId })
        .map((e) => [e.kind, e.payload])
        .map(([kind, p]) =>
          kind === 'lease.acquired'
            ? [kind, { ...(p as object), heartbeat_us: expect.any(Number) as unknown }]
            : [kind, p],
        ),
    );
    expect(j.verify().ok).toBe(true);
  });

  it('a refusal (lease held, pin moved, branch missing) writes nothing, not even op.begun', () => {
    const j = newJournal();
    const holder = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'bob' });
    j.acquireLeases(holder, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    const before = j.listEvents().length;
    const start = (expectedVersion: number, branch = 'main') => {
      const opId = Journal.newOperationId();
      return codeOf(() =>
        j.startOperation(
          { opId, kind: 'Mutation', branch, actor: 'alice' },
          [{ tableKey: 'node:Person', branch, expectedVersion }],
          { pid: process.pid, host: 'h', leaseId: opId },
          PERSON_INTENT,
          ['node:Person'],
        ),
      );
    };
    expect(start(1)).toBe('LeaseHeld');
    j.releaseLeases(holder);
    const after = j.listEvents().length;
    expect(start(7)).toBe('ExpectedVersionMismatch');
    expect(start(1, 'nope')).toBe('BranchNotFound');
    expect(j.listEvents().length).toBe(after);
    expect(after).toBe(before + 1); // only the release
    expect(j.verify().ok).toBe(true);
  });

  it('recordUnstartedOperation: op.begun with op.failed + op.rolled_back (or op.completed) in one transaction', () => {
    const j = newJournal();
    const seen = watchTransactions(j);
    const failed = Journal.newOperationId();
    j.recordUnstartedOperation(
      { opId: failed, kind: 'Load', branch: 'main', actor: 'alice' },
      { error: { code: 'InvalidInput', message: 'bad line' }, phase: 'stage' },
    );
    const done = Journal.newOperationId();
    j.recordUnstartedOperation({ opId: done, kind: 'Load', branch: 'main', actor: 'alice' }, null);
    expect(seen).toEqual([2, 2]);
    expect(j.listEvents({ opId: failed }).map((e) => e.kind)).toEqual([
      'op.begun',
      'op.failed',
      'op.rolled_back',
    ]);
    expect(j.getOperation(failed)).toMatchObject({ state: 'rolled_back', errorPhase: 'stage' });
    expect(j.listEvents({ opId: done }).map((e) => e.kind)).toEqual(['op.begun', 'op.completed']);
    expect(j.inFlightOperations()).toEqual([]);
    expect(j.verify().ok).toBe(true);
  });
});
