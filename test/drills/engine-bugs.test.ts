/**
 * Regression tests for engine bugs the drills found (both fixed): verify() reporting
 * I1 for tables a branch had not forked yet, and recovery taking leases for a
 * Cleanup (blocked by a newer writer holding the same tables).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { Workspace } from '../../src/drill/harness.js';
import { runChild } from '../../src/drill/spawn.js';
import { matrixOp } from '../../src/drill/matrix.js';
import { deadPid } from '../helpers/process.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await Workspace.create();
});
afterAll(() => ws.dispose());

describe('engine bugs found by the drills', () => {
  // Regression: src/repo.ts verify() checked I1 also for pins a branch still inherits
  // from main (no lazy fork yet), so any write on main after `createBranch` made it
  // report "I1 violated … on branch feat" (found by the randomized drills; fixed in
  // repo.ts: inherited pins are checked for HEAD ≥ pin).
  it('verify() does not report I1 for a table a branch has not forked yet after main moves on', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lancelog-bug-')), 'repo');
    try {
      await Repo.init(dir, {
        schemaSource: 'node Person { name: String @key }\n',
        schemaFile: 's.pg',
      });
      const repo = await Repo.open(dir);
      try {
        repo.createBranch('feat');
        await repo.transaction((tx) => {
          tx.insert('Person', { name: 'a' });
        });
        const report = await repo.verify();
        expect(report.differences).toEqual([]);
        expect(report.ok).toBe(true);
      } finally {
        await repo.close();
      }
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  // src/recovery/sweep.ts apply() (~line 147): recovery takes leases on every table of
  // the operation it recovers, also for a published operation (decision Cleanup). A
  // published operation released its leases at publish, so a newer writer may hold
  // them; when that writer died too, recovery (oldest first) hits LeaseHeld on the
  // older, published operation and the read-write open fails — on every retry, each
  // leaving one more crashed Recovery operation: the repo can no longer be opened
  // read-write. Found by the concurrency drill. Fix: a Cleanup touches no table, so
  // take no leases for it (or process dead owners' leases before the Cleanup).
  // Writers now record op.completed in the publish transaction, so a crash after the
  // publish no longer leaves a published-but-not-completed operation; journals written
  // by earlier versions (and interrupted recoveries) still can, so the state is made
  // here through the journal API as such a writer left it, owner dead.
  it('a published-but-not-cleaned-up operation and a newer crashed writer holding its tables recover', async () => {
    const dir = ws.copy('cleanup-vs-lease');
    const gone = await deadPid();
    const old = await Repo.open(dir);
    try {
      const pins = old.snapshot().pins;
      const owner = { pid: gone, host: hostname() };
      const opId = old.journal.beginOperation({
        kind: 'Mutation',
        branch: 'main',
        actor: 'earlier-version',
        owner,
      });
      old.journal.acquireLeases(
        opId,
        pins.map((p) => ({ tableKey: p.tableKey, branch: 'main', expectedVersion: p.version })),
        { ...owner, leaseId: opId },
      );
      old.journal.recordIntent(
        opId,
        pins.map((p) => ({
          tableKey: p.tableKey,
          lanceBranch: null,
          expectedVersion: p.version,
          postCommitVersion: p.version + 1,
        })),
      );
      old.journal.publish({
        opId,
        branch: 'main',
        actor: 'earlier-version',
        tables: pins.map((p) => ({
          tableKey: p.tableKey,
          expectedVersion: p.version,
          newVersion: p.version,
          lanceBranch: null,
        })),
      });
      expect(old.pendingRecovery().map((o) => o.published)).toEqual([true]);
    } finally {
      await old.close();
    }
    // A second writer that opened the repo before the first one died (so it did not recover it).
    const second = await runChild(
      {
        mode: 'run',
        repo: dir,
        branch: 'main',
        ops: [matrixOp('load-merge', 'multi-table')],
        noRecover: true,
      },
      'write.after_intent=crash',
    );
    expect(second.signal).toBe('SIGKILL');
    const repo = await Repo.open(dir); // LeaseHeld: edge:WorksAt … is leased by operation <second>
    try {
      expect(repo.recoveryAudit().map((a) => a.decision)).toEqual(['Cleanup', 'RollBack']);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('a writer crashing right after its publish leaves only a stale sidecar, which the next open removes', async () => {
    const dir = ws.copy('after-publish');
    const first = await runChild(
      { mode: 'run', repo: dir, branch: 'main', ops: [matrixOp('tx', 'multi-table')] },
      'write.after_publish=crash',
    );
    expect(first.signal).toBe('SIGKILL');
    expect(readdirSync(join(dir, '__recovery'))).toHaveLength(1);
    const repo = await Repo.open(dir);
    try {
      expect(repo.recoveryAudit()).toEqual([]);
      expect(readdirSync(join(dir, '__recovery'))).toEqual([]);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
