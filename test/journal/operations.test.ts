import { describe, expect, it } from 'vitest';
import { codeOf, newJournal } from './helpers.js';

describe('operations and leases', () => {
  it('op.begun, leases and heartbeats commit without fsync (synchronous=NORMAL); every other write is synchronous=FULL', () => {
    const j = newJournal();
    // Observe SQLite's own setting inside each write transaction.
    const db = (j as unknown as { db: import('better-sqlite3').Database }).db;
    const seen: number[] = [];
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...a: unknown[]) => unknown) =>
      transaction((...a: unknown[]) => {
        seen.push(db.pragma('synchronous', { simple: true }) as number);
        return fn(...a);
      })) as typeof db.transaction;
    const FULL = 2;
    const NORMAL = 1;
    const op = j.beginOperation({ kind: 'Load', branch: 'main', actor: 'alice' });
    j.acquireLeases(op, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    j.heartbeat(op);
    j.recordIntent(
      op,
      [{ tableKey: 'node:Person', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 }],
      { commitStarted: 'node:Person' },
    );
    j.publish({
      opId: op,
      branch: 'main',
      actor: 'alice',
      tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
      committed: { tableKey: 'node:Person', version: 2 },
      complete: true,
    });
    expect(seen).toEqual([NORMAL, NORMAL, NORMAL, FULL, FULL]);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    // A refused relaxed write restores FULL too.
    expect(() =>
      j.acquireLeases('nope', [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 2 }]),
    ).toThrow();
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
  });

  it('walks the protocol states and shows the op timeline', () => {
    const j = newJournal();
    const op = j.beginOperation({ kind: 'Load', branch: 'main', actor: 'alice' });
    expect(j.getOperation(op)).toMatchObject({
      state: 'begun',
      kind: 'Load',
      actor: 'alice',
      branch: 'main',
    });
    j.acquireLeases(op, [
      { tableKey: 'node:Person', branch: 'main', expectedVersion: 1 },
      { tableKey: 'edge:WorksAt', branch: 'main', expectedVersion: 1 },
    ]);
    expect(j.listLeases({ opId: op }).map((l) => l.tableKey)).toEqual([
      'edge:WorksAt',
      'node:Person',
    ]);
    expect(j.listLeases()[0]).toMatchObject({ ownerPid: process.pid, opId: op });
    expect(j.heartbeat(op)).toBe(2);
    j.recordIntent(op, [
      { tableKey: 'node:Person', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
      { tableKey: 'edge:WorksAt', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
    ]);
    expect(j.getOperation(op).state).toBe('intent_recorded');
    for (const t of ['edge:WorksAt', 'node:Person']) {
      j.tableCommitStarted(op, t);
      j.tableCommitted(op, t, 2);
    }
    expect(j.getOperation(op).state).toBe('committing');
    expect(j.inFlightOperations().map((o) => o.opId)).toEqual([op]);
    j.publish({
      opId: op,
      branch: 'main',
      actor: 'alice',
      tables: [
        { tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null },
        { tableKey: 'edge:WorksAt', expectedVersion: 1, newVersion: 2, lanceBranch: null },
      ],
    });
    expect(j.inFlightOperations().map((o) => o.opId)).toEqual([op]); // published but not cleaned up
    j.completeOperation(op);
    expect(j.inFlightOperations()).toEqual([]);
    expect(j.listEvents({ opId: op }).map((e) => e.kind)).toEqual([
      'op.begun',
      'lease.acquired',
      'lease.heartbeat',
      'op.intent_recorded',
      'table.commit_started',
      'table.committed',
      'table.commit_started',
      'table.committed',
      'op.published',
      'op.completed',
    ]);
    expect(j.listEvents({ opId: op, kind: 'table.committed' }).map((e) => e.tableKey)).toEqual([
      'edge:WorksAt',
      'node:Person',
    ]);
    expect(j.listEvents({ limit: 2, order: 'desc' }).map((e) => e.kind)).toEqual([
      'op.completed',
      'op.published',
    ]);
    expect(codeOf(() => j.completeOperation(op))).toBe('OperationFinished');
    expect(codeOf(() => j.getOperation('nope'))).toBe('OperationNotFound');
  });

  it('acquireLeases: LeaseHeld for another op, ExpectedVersionMismatch for a moved pin, atomically', () => {
    const j = newJournal();
    const a = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'a' });
    const b = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'b' });
    j.acquireLeases(a, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    const before = j.listEvents().length;
    expect(
      codeOf(() =>
        j.acquireLeases(b, [
          { tableKey: 'node:Company', branch: 'main', expectedVersion: 1 },
          { tableKey: 'node:Person', branch: 'main', expectedVersion: 1 },
        ]),
      ),
    ).toBe('LeaseHeld');
    expect(
      codeOf(() =>
        j.acquireLeases(b, [{ tableKey: 'node:Company', branch: 'main', expectedVersion: 0 }]),
      ),
    ).toBe('ExpectedVersionMismatch');
    expect(j.listEvents()).toHaveLength(before);
    expect(j.listLeases().map((l) => [l.tableKey, l.opId])).toEqual([['node:Person', a]]);
    j.releaseLeases(a);
    expect(j.listLeases()).toEqual([]);
    j.acquireLeases(b, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    expect(j.listLeases().map((l) => l.opId)).toEqual([b]);
  });

  it('failure then in-process rollback: failed keeps leases, rolled_back releases them and ends the op', () => {
    const j = newJournal();
    const op = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'a' });
    j.acquireLeases(op, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    j.failOperation(op, { code: 'Boom', message: 'disk full' }, 'table_commit');
    expect(j.getOperation(op)).toMatchObject({
      state: 'failed',
      errorCode: 'Boom',
      errorMessage: 'disk full',
      errorPhase: 'table_commit',
    });
    expect(j.listLeases()).toHaveLength(1);
    j.rolledBack(op, [{ tableKey: 'node:Person', from: 2, to: 1 }]);
    expect(j.getOperation(op).state).toBe('rolled_back');
    expect(j.listLeases()).toEqual([]);
    expect(j.inFlightOperations()).toEqual([]);
  });

  it('recovery events write the audit row and resolve the original operation', () => {
    const j = newJournal();
    const crashed = j.beginOperation({ kind: 'Load', branch: 'main', actor: 'loader' });
    j.acquireLeases(crashed, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    j.recordIntent(crashed, [
      { tableKey: 'node:Person', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
    ]);
    const rec = j.beginOperation({ kind: 'Recovery', branch: 'main', actor: 'lancelog:recovery' });
    j.recoveryClassified(rec, crashed, [
      {
        tableKey: 'node:Person',
        head: 2,
        pin: 1,
        expected: 1,
        committed: 2,
        class: 'RolledPastExpected',
      },
    ]);
    j.recoveryDecided(rec, crashed, 'RollForward');
    j.releaseLeases(crashed); // recovery takes the dead owner's leases over…
    j.acquireLeases(rec, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
    j.publish({
      opId: rec,
      branch: 'main',
      actor: 'lancelog:recovery',
      message: `recover ${crashed}`,
      tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
    });
    j.recoveryApplied(rec, crashed, 'RollForward', [{ tableKey: 'node:Person', from: 1, to: 2 }]);
    j.completeOperation(rec);
    expect(j.listRecoveryAudit()).toEqual([
      expect.objectContaining({
        recoveryOpId: rec,
        originalOpId: crashed,
        originalActor: 'loader',
        writerKind: 'Load',
        decision: 'RollForward',
        tables: [{ table_key: 'node:Person', from: 1, to: 2 }],
      }),
    ]);
    expect(j.getOperation(crashed).state).toBe('completed');
    expect(j.inFlightOperations()).toEqual([]);
    expect(j.listCommits({ actor: 'lancelog:recovery' })).toHaveLength(1);
    expect(j.verify().ok).toBe(true);
  });
});
