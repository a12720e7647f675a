/**
 * A write reads its working set, never the history: the same commands on a journal
 * with a few commits and on one with thousands read exactly the same number of rows
 * (counted by the working-set loader), and still decide correctly (pins, CAS,
 * leases). Also: the SQL loader returns exactly what the in-memory selector picks
 * out of the full projections, for every kind of need.
 */
import { describe, expect, it } from 'vitest';
import {
  Journal,
  selectNeeds,
  type JournalState,
  type Need,
  type ReadCount,
} from '../../src/journal/index.js';
import { loadNeeds } from '../../src/journal/working-set.js';
import { emptyState } from '../../src/journal/state.js';
import { generateHistory } from '../../scripts/bench/gen-history.js';
import { codeOf, newJournal, tempRepo, track } from './helpers.js';

const P = 'node:Person';
const C = 'node:Company';

/** A journal with `commits` generated commits on Person, a branch with a fork, and an op in flight leasing Company. */
function build(commits: number): { dir: string; blocker: string } {
  const dir = tempRepo();
  const j = newJournal(dir);
  generateHistory(j, commits, { tableKey: P, batchOps: 1000 });
  j.createBranch('feat');
  j.recordFork('feat', P, 'feat', 1);
  const blocker = j.beginOperation({ kind: 'Load', branch: 'main', actor: 'other' });
  j.acquireLeases(blocker, [{ tableKey: C, branch: 'main', expectedVersion: 1 }]);
  j.close();
  return { dir, blocker };
}

/** One CLI-like process: open, then a full write with refusals along the way. Reads per step. */
function scenario(dir: string): { reads: ReadCount[]; j: Journal } {
  const j = track(Journal.open(dir));
  const reads: ReadCount[] = [];
  const step = (fn: () => unknown) => {
    const before = j.workingSetReads();
    fn();
    const after = j.workingSetReads();
    reads.push({
      rows: after.rows - before.rows,
      statements: after.statements - before.statements,
    });
  };
  let op = '';
  step(() => (op = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'me' })));
  step(() =>
    expect(
      codeOf(() => j.acquireLeases(op, [{ tableKey: P, branch: 'main', expectedVersion: 2 }])),
    ).toBe('ExpectedVersionMismatch'),
  );
  step(() =>
    expect(
      codeOf(() => j.acquireLeases(op, [{ tableKey: C, branch: 'main', expectedVersion: 1 }])),
    ).toBe('LeaseHeld'),
  );
  step(() => j.acquireLeases(op, [{ tableKey: P, branch: 'main', expectedVersion: 1 }]));
  step(() => j.heartbeat(op));
  step(() =>
    j.recordIntent(
      op,
      [{ tableKey: P, lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 }],
      { commitStarted: P },
    ),
  );
  step(() =>
    j.publish({
      opId: op,
      branch: 'main',
      actor: 'me',
      tables: [{ tableKey: P, expectedVersion: 1, newVersion: 2, lanceBranch: null }],
      committed: { tableKey: P, version: 2 },
      complete: true,
    }),
  );
  step(() => expect(codeOf(() => j.completeOperation(op))).toBe('OperationFinished'));
  step(() => j.createBranch('later'));
  step(() => expect(codeOf(() => j.deleteBranch('main'))).toBe('InvalidBranchName'));
  step(() => j.deleteBranch('later'));
  return { reads, j };
}

describe('journal at scale: a write reads its working set only', () => {
  it('after 3,000 commits a process reads exactly the rows it reads after 10, and writes correctly', () => {
    const short = build(10);
    const long = build(3000);
    const a = scenario(short.dir);
    const b = scenario(long.dir);
    expect(b.reads).toEqual(a.reads);
    // Small in absolute terms too: a handful of rows per write, whatever the history.
    for (const r of b.reads) expect(r.rows).toBeLessThan(25);
    // Correct: the new pin is published, the blocker still holds its lease, the journal verifies.
    const mv = b.j.getBranch('main').headManifestVersion;
    expect(mv).toBe(3000 + 2);
    expect(b.j.latestPins('main').find((p) => p.tableKey === P)!.version).toBe(2);
    expect(b.j.listLeases().map((l) => [l.opId, l.tableKey])).toEqual([[long.blocker, C]]);
    expect(b.j.listCommits({ branch: 'main', limit: 1 })[0].manifestVersion).toBe(mv);
    const report = b.j.verify();
    expect(report.differences).toEqual([]);
    expect(report.events).toBeGreaterThan(3000 * 7);
  });

  it('the SQL loader loads exactly what the in-memory selector picks from the full projections', () => {
    const { dir, blocker } = build(5);
    const j = track(Journal.open(dir));
    j.createBranch('kid', { fromBranch: 'feat' });
    const done = j.listCommits({ branch: 'main' });
    const needs: Need[][] = [
      [{ kind: 'branch', name: 'main' }],
      [{ kind: 'branch', name: 'nope' }],
      [{ kind: 'manifest', branch: 'main', manifestVersion: 3 }],
      [{ kind: 'operation', opId: blocker }],
      [{ kind: 'operation', opId: done[0].opId }],
      [{ kind: 'lease', branch: 'main', tableKey: C }],
      [{ kind: 'lease', branch: 'main', tableKey: P }],
      [{ kind: 'commit', id: done[2].id }],
      [{ kind: 'fork', branch: 'feat', tableKey: P }],
      [{ kind: 'dependents', branch: 'feat' }],
      [{ kind: 'dependents', branch: 'main' }],
    ];
    const db = (j as unknown as { db: import('better-sqlite3').Database }).db;
    const full = j.readProjections();
    for (const n of [...needs, needs.flat()]) {
      const loaded: JournalState = emptyState();
      loadNeeds(db, n, loaded, new Set());
      expect(loaded, JSON.stringify(n)).toEqual(selectNeeds(full, n));
    }
    // Not vacuous: the dependents of main include the in-flight blocker and the child feat.
    const deps = selectNeeds(full, [{ kind: 'dependents', branch: 'main' }]);
    expect(JSON.stringify(deps)).toContain(blocker);
    expect(JSON.stringify(deps)).toContain('"feat"');
  });
});
