import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/index.js';
import { codeOf, newJournal, tempRepo, track } from './helpers.js';

function bump(
  j: Journal,
  tableKey: string,
  from: number,
  to = from + 1,
  branch = 'main',
  lanceBranch: string | null = null,
) {
  return j.publish({
    branch,
    actor: 'alice',
    message: `${tableKey} ${from}→${to}`,
    tables: [{ tableKey, expectedVersion: from, newVersion: to, lanceBranch }],
  });
}

function everything(j: Journal) {
  return { projections: j.readProjections(), events: j.listEvents().length };
}

describe('publish', () => {
  it('creates manifest head+1 with the full pin set and a commit whose parent is the previous head', () => {
    const j = newJournal();
    const init = j.snapshot({ branch: 'main' });
    const r = j.publish({
      branch: 'main',
      actor: 'alice',
      message: 'two tables',
      tables: [
        { tableKey: 'node:Person', expectedVersion: 1, newVersion: 3, lanceBranch: null },
        { tableKey: 'edge:WorksAt', expectedVersion: 1, newVersion: 2, lanceBranch: null },
      ],
    });
    expect(r.manifestVersion).toBe(2);
    const snap = j.snapshot({ branch: 'main' });
    expect(snap).toMatchObject({ manifestVersion: 2, commitId: r.commitId });
    expect(Object.fromEntries(snap.pins.map((p) => [p.tableKey, p.version]))).toEqual({
      'node:Person': 3,
      'edge:WorksAt': 2,
      'node:Company': 1,
    });
    expect(j.getCommit(r.commitId)).toMatchObject({
      parentId: init.commitId,
      actor: 'alice',
      message: 'two tables',
      branch: 'main',
      manifestVersion: 2,
      opId: r.opId,
    });
    expect(j.listEvents({ kind: 'op.published' })).toHaveLength(1);
  });

  it('a CAS conflict throws ExpectedVersionMismatch and changes nothing at all', () => {
    const j = newJournal();
    bump(j, 'node:Person', 1);
    const before = everything(j);
    let details: unknown;
    try {
      j.publish({
        branch: 'main',
        actor: 'bob',
        tables: [
          { tableKey: 'node:Company', expectedVersion: 1, newVersion: 2, lanceBranch: null }, // would be fine
          { tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }, // stale
        ],
      });
    } catch (err) {
      expect((err as { code: string }).code).toBe('ExpectedVersionMismatch');
      details = (err as { details: unknown }).details;
    }
    expect(details).toEqual({ table_key: 'node:Person', branch: 'main', expected: 1, actual: 2 });
    expect(everything(j)).toEqual(before);
    // A table absent from the pin set has actual = null.
    expect(codeOf(() => bump(j, 'node:Nope', 1))).toBe('ExpectedVersionMismatch');
    expect(
      j.publish({
        branch: 'main',
        actor: 'a',
        tables: [{ tableKey: 'node:New', expectedVersion: null, newVersion: 1, lanceBranch: null }],
      }).manifestVersion,
    ).toBe(3);
  });

  it('refuses a table leased by another live operation (LeaseHeld), allows the lease holder', () => {
    const j = newJournal();
    const op = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'alice' });
    j.acquireLeases(op, [{ tableKey: 'node:Person', branch: 'main', expectedVersion: 1 }], {
      pid: 7,
      host: 'box',
      leaseId: 'L',
    });
    let details: unknown;
    try {
      bump(j, 'node:Person', 1);
    } catch (err) {
      expect((err as { code: string }).code).toBe('LeaseHeld');
      details = (err as { details: unknown }).details;
    }
    expect(details).toMatchObject({
      table_key: 'node:Person',
      branch: 'main',
      owner: { op_id: op, pid: 7, host: 'box' },
    });
    bump(j, 'node:Company', 1); // other tables are free
    j.publish({
      opId: op,
      branch: 'main',
      actor: 'alice',
      tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
    });
    expect(j.listLeases()).toEqual([]); // publish released the op's leases
    expect(j.getOperation(op).state).toBe('published');
  });

  it('a second handle with a stale cache catches up inside the transaction before checking', () => {
    const repo = tempRepo();
    const a = newJournal(repo);
    const b = track(Journal.open(repo));
    bump(b, 'node:Company', 1); // b's cache is now loaded
    bump(a, 'node:Person', 1); // a moves Person behind b's back
    expect(codeOf(() => bump(b, 'node:Person', 1))).toBe('ExpectedVersionMismatch');
    expect(bump(b, 'node:Person', 2).manifestVersion).toBe(4);
    expect(
      a.snapshot({ branch: 'main' }).pins.find((p) => p.tableKey === 'node:Person')!.version,
    ).toBe(3);
    expect(a.verify().ok).toBe(true);
  });

  it('rejects a table listed twice and publishing on an unknown branch', () => {
    const j = newJournal();
    expect(
      codeOf(() =>
        j.publish({
          branch: 'main',
          actor: 'a',
          tables: [
            { tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null },
            { tableKey: 'node:Person', expectedVersion: 1, newVersion: 3, lanceBranch: null },
          ],
        }),
      ),
    ).toBe('InvalidArgument');
    expect(codeOf(() => bump(j, 'node:Person', 1, 2, 'nope'))).toBe('BranchNotFound');
  });
});

describe('snapshots and time travel', () => {
  it('reads any past manifest version after newer publishes, by version or by commit', () => {
    const j = newJournal();
    const commits = [j.snapshot({ branch: 'main' }).commitId];
    for (let v = 1; v <= 4; v++) commits.push(bump(j, 'node:Person', v).commitId);
    for (let mv = 1; mv <= 5; mv++) {
      const snap = j.snapshot({ branch: 'main', manifestVersion: mv });
      expect(snap.commitId).toBe(commits[mv - 1]);
      expect(snap.pins.find((p) => p.tableKey === 'node:Person')!.version).toBe(mv);
      expect(snap.pins.find((p) => p.tableKey === 'node:Company')!.version).toBe(1);
      expect(j.snapshot({ commitId: commits[mv - 1] })).toEqual(snap);
    }
    expect(j.snapshot({ branch: 'main' }).manifestVersion).toBe(5);
    expect(codeOf(() => j.snapshot({ branch: 'main', manifestVersion: 6 }))).toBe(
      'ManifestVersionNotFound',
    );
    expect(codeOf(() => j.snapshot({ commitId: 'nope' }))).toBe('CommitNotFound');
    expect(codeOf(() => j.snapshot({ branch: 'nope' }))).toBe('BranchNotFound');
  });

  it('lists commits newest first, filtered by actor, limited', () => {
    const j = newJournal();
    bump(j, 'node:Person', 1);
    j.publish({
      branch: 'main',
      actor: 'bob',
      tables: [{ tableKey: 'node:Person', expectedVersion: 2, newVersion: 3, lanceBranch: null }],
    });
    bump(j, 'node:Person', 3);
    expect(j.listCommits().map((c) => c.manifestVersion)).toEqual([4, 3, 2, 1]);
    expect(j.listCommits({ branch: 'main', limit: 2 }).map((c) => c.manifestVersion)).toEqual([
      4, 3,
    ]);
    expect(j.listCommits({ actor: 'bob' }).map((c) => c.actor)).toEqual(['bob']);
    expect(j.listCommits({ branch: 'main', actor: 'alice' }).map((c) => c.manifestVersion)).toEqual(
      [4, 2],
    );
    expect(codeOf(() => j.getCommit('missing'))).toBe('CommitNotFound');
  });
});

describe('publish of a schema change', () => {
  const HASH = 'a'.repeat(64);

  it('adds and unpins tables and records the schema with its text in the same transaction', () => {
    const j = newJournal();
    const before = j.listEvents().length;
    const r = j.publish({
      branch: 'main',
      actor: 'alice',
      tables: [{ tableKey: 'node:Pet', expectedVersion: null, newVersion: 1, lanceBranch: null }],
      unpin: [{ tableKey: 'node:Company', expectedVersion: 1 }],
      schema: { hash: HASH, source: 'node Pet { name: String @key }\n' },
    });
    const snap = j.snapshot({ branch: 'main' });
    expect(Object.fromEntries(snap.pins.map((p) => [p.tableKey, p.version]))).toEqual({
      'node:Person': 1,
      'edge:WorksAt': 1,
      'node:Pet': 1,
    });
    // The manifest before still pins the dropped table (history keeps it).
    expect(
      j.snapshot({ branch: 'main', manifestVersion: 1 }).pins.map((p) => p.tableKey),
    ).toContain('node:Company');
    const events = j.listEvents().slice(before);
    expect(events.map((e) => e.kind)).toEqual(['op.published', 'schema.recorded']);
    expect(events[0].payload).toMatchObject({ unpinned: ['node:Company'] });
    expect(j.recordedSchema()).toEqual({
      hash: HASH,
      source: 'node Pet { name: String @key }\n',
      previousHash: null,
    });
    expect(j.recordedSchemaHash()).toBe(HASH);
    expect(r.manifestVersion).toBe(2);
    expect(j.verify().ok).toBe(true);
  });

  it('an unpin at a stale version changes nothing (ExpectedVersionMismatch)', () => {
    const j = newJournal();
    const before = everything(j);
    expect(
      codeOf(() =>
        j.publish({
          branch: 'main',
          actor: 'a',
          tables: [],
          unpin: [{ tableKey: 'node:Company', expectedVersion: 2 }],
          schema: { hash: HASH, source: '' },
        }),
      ),
    ).toBe('ExpectedVersionMismatch');
    expect(everything(j)).toEqual(before);
    expect(j.recordedSchema()).toBeNull();
  });
});
