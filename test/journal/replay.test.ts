import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  diffStates,
  evolve,
  emptyState,
  Journal,
  JOURNAL_FILE,
  replay,
  type JournalState,
} from '../../src/journal/index.js';
import { codeOf, newJournal, tempRepo, track } from './helpers.js';

/** A realistic history, written through two handles (as two processes would), so the cache catch-up path is exercised too. */
function realisticHistory(repo: string): Journal {
  const a = newJournal(repo);
  const b = track(Journal.open(repo));
  // A normal mutation on main.
  const m1 = a.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'alice' });
  a.acquireLeases(m1, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }]);
  a.recordIntent(m1, [
    { tableKey: 'node:Person', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
  ]);
  a.tableCommitStarted(m1, 'node:Person');
  a.tableCommitted(m1, 'node:Person', 2);
  a.publish({
    opId: m1,
    branch: 'main',
    actor: 'alice',
    message: 'add people',
    tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
  });
  a.completeOperation(m1);
  // The other handle branches and forks a table lazily.
  b.createBranch('feature');
  const f1 = b.beginOperation({ kind: 'Load', branch: 'feature', actor: 'bob' });
  b.acquireLeases(f1, [{ tableKey: 'node:Company', branch: 'feature', expectedVersion: 1 }]);
  b.recordFork('feature', 'node:Company', 'feature', 1, f1);
  b.recordIntent(f1, [
    { tableKey: 'node:Company', lanceBranch: 'feature', expectedVersion: 1, postCommitVersion: 2 },
  ]);
  b.tableCommitStarted(f1, 'node:Company');
  b.tableCommitted(f1, 'node:Company', 2);
  b.publish({
    opId: f1,
    branch: 'feature',
    actor: 'bob',
    tables: [
      { tableKey: 'node:Company', expectedVersion: 1, newVersion: 2, lanceBranch: 'feature' },
    ],
  });
  b.completeOperation(f1);
  // A failed mutation rolled back in-process, on handle a (must catch up on b's events).
  const m2 = a.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'alice' });
  a.acquireLeases(m2, [{ tableKey: 'edge:WorksAt', branch: 'main', expectedVersion: 1 }]);
  a.heartbeat(m2);
  a.recordIntent(m2, [
    { tableKey: 'edge:WorksAt', lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
  ]);
  a.tableCommitStarted(m2, 'edge:WorksAt');
  a.failOperation(m2, { code: 'ValidationError', message: 'dangling edge' }, 'table_commit');
  a.rolledBack(m2, [{ tableKey: 'edge:WorksAt', from: 2, to: 1 }]);
  // A crashed op, recovered by rolling back.
  const crashed = b.beginOperation({ kind: 'Mutation', branch: 'feature', actor: 'carol' });
  b.acquireLeases(crashed, [{ tableKey: 'node:Person', branch: 'feature', expectedVersion: 2 }], {
    pid: 999999,
    host: 'gone',
    leaseId: 'dead',
  });
  b.recordIntent(crashed, [
    {
      tableKey: 'node:Person',
      lanceBranch: 'feature-person',
      expectedVersion: 2,
      postCommitVersion: 3,
    },
  ]);
  const rec = a.beginOperation({ kind: 'Recovery', branch: 'feature', actor: 'lancelog:recovery' });
  a.recoveryClassified(rec, crashed, [
    { tableKey: 'node:Person', head: 2, pin: 2, expected: 2, committed: null, class: 'NoMovement' },
  ]);
  a.recoveryDecided(rec, crashed, 'RollBack');
  a.recoveryApplied(rec, crashed, 'RollBack', []);
  a.completeOperation(rec);
  // A still-in-flight op holding a lease, and a deleted branch.
  const open = a.beginOperation({ kind: 'EnsureIndices', branch: 'main', actor: 'dave' });
  a.acquireLeases(open, [{ tableKey: 'node:Company', branch: 'main', expectedVersion: 1 }]);
  b.createBranch('scratch', { fromBranch: 'feature' });
  b.deleteBranch('scratch');
  b.close();
  return a;
}

describe('replay', () => {
  it('replaying every event reproduces every stored projection exactly', () => {
    const repo = tempRepo();
    const j = realisticHistory(repo);
    const stored = j.readProjections();
    const replayed = replay(j.listEvents());
    expect(diffStates(replayed, stored)).toEqual([]);
    expect(JSON.parse(JSON.stringify(replayed))).toEqual(JSON.parse(JSON.stringify(stored)));
    // Every projection has rows, so the comparison is not vacuous.
    for (const [name, rows] of Object.entries(stored))
      expect(Object.keys(rows as object).length, name).toBeGreaterThan(0);
    expect(j.verify()).toEqual({
      ok: true,
      differences: [],
      integrity: 'ok',
      events: j.listEvents().length,
    });
    expect(j.inFlightOperations().map((o) => o.actor)).toEqual(['dave']);
  });

  it('evolve is pure: it never mutates its input', () => {
    const repo = tempRepo();
    const events = realisticHistory(repo).listEvents();
    let state: JournalState = emptyState();
    for (const e of events) {
      const before = JSON.stringify(state);
      const next = evolve(state, e);
      expect(JSON.stringify(state)).toBe(before);
      state = next;
    }
  });

  it('verify reports a tampered projection row', () => {
    const repo = tempRepo();
    const j = realisticHistory(repo);
    const db = new Database(join(repo, JOURNAL_FILE));
    db.prepare(
      "UPDATE pins SET version = 99 WHERE branch = 'main' AND manifest_version = 2 AND table_key = 'node:Person'",
    ).run();
    db.prepare('DELETE FROM leases').run();
    db.close();
    const report = j.verify();
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^pins\[main, 2, node:Person\]: replayed .*"version":2.* ≠ stored .*"version":99/,
        ),
        expect.stringMatching(/^leases\[main, node:Company\]: only replayed/),
      ]),
    );
  });

  it('a replayed duplicate repo.initialized is refused as JournalCorrupt', () => {
    const j = newJournal();
    const [init] = j.listEvents();
    expect(codeOf(() => replay([init, { ...init, seq: 2 }]))).toBe('JournalCorrupt');
  });
});
