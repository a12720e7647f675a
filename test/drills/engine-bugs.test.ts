/**
 * Regression tests for engine bugs the drills found (both fixed): verify() reporting
 * I1 for tables a branch had not forked yet, and recovery taking leases for a
 * Cleanup (blocked by a newer writer holding the same tables).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { Workspace } from '../../src/drill/harness.js';
import { runChild } from '../../src/drill/spawn.js';
import { matrixOp } from '../../src/drill/matrix.js';

let ws: Workspace;
beforeAll(async () => { ws = await Workspace.create(); });
afterAll(() => ws.dispose());

describe('engine bugs found by the drills', () => {
  // Regression: src/repo.ts verify() checked I1 also for pins a branch still inherits
  // from main (no lazy fork yet), so any write on main after `createBranch` made it
  // report "I1 violated … on branch feat" (found by the randomized drills; fixed in
  // repo.ts: inherited pins are checked for HEAD ≥ pin).
  it('verify() does not report I1 for a table a branch has not forked yet after main moves on', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lancelog-bug-')), 'repo');
    try {
      await Repo.init(dir, { schemaSource: 'node Person { name: String @key }\n', schemaFile: 's.pg' });
      const repo = await Repo.open(dir);
      try {
        repo.createBranch('feat');
        await repo.transaction((tx) => { tx.insert('Person', { name: 'a' }); });
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
  it('a published-but-not-cleaned-up operation and a newer crashed writer holding its tables recover', async () => {
    const dir = ws.copy('cleanup-vs-lease');
    const op = matrixOp('tx', 'multi-table');
    const first = await runChild({ mode: 'run', repo: dir, branch: 'main', ops: [op] }, 'write.after_publish=crash');
    expect(first.signal).toBe('SIGKILL');
    // A second writer that opened the repo before the first one died (so it did not recover it).
    const second = await runChild({ mode: 'run', repo: dir, branch: 'main', ops: [matrixOp('load-merge', 'multi-table')], noRecover: true }, 'write.after_intent=crash');
    expect(second.signal).toBe('SIGKILL');
    const repo = await Repo.open(dir); // LeaseHeld: edge:WorksAt … is leased by operation <second>
    try {
      expect(repo.recoveryAudit().map((a) => a.decision)).toEqual(['Cleanup', 'RollBack']);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  }, 120_000);
});
