/**
 * The write protocol's assertions (src/write/protocol/run.ts `invariant`, docs/writes.md
 * §Assertions): each one is broken on purpose at the exact point of a real write (a
 * `call` failpoint tampers with the sidecar or the journal), and each stops the
 * operation with InvariantBroken before anything of it is published. The fourth
 * assertion, a table's version after its commit, is CommitVersionUnexpected
 * (test/write/table-operation.test.ts "asserts a 'one' action's promise").
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  armFailpoint,
  disarmAllFailpoints,
  InvariantBroken,
  type FailpointName,
  type Repo,
} from '../../src/index.js';
import { projectionMismatch, sidecarPath } from '../../src/write/protocol/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
afterEach(() => disarmAllFailpoints());

const SCHEMA = 'node Tag {\n  name: String @key\n}\nedge Next: Tag -> Tag\n';

async function seeded(): Promise<{ repo: Repo; dir: string }> {
  const dir = join(tmp(), 'repo');
  const repo = await makeRepo(dir, SCHEMA);
  await repo.transaction((tx) => {
    tx.insert('Tag', { name: 'a' });
    tx.insert('Tag', { name: 'b' });
    tx.link('Next', 'a', 'b');
  });
  return { repo, dir };
}

/** Runs `run` against the journal file with a connection of its own, as an outside writer would. */
function tamper(dir: string, run: (db: Database.Database) => void): void {
  const db = new Database(join(dir, '_lancelog.db'));
  try {
    run(db);
  } finally {
    db.close();
  }
}

/** At `at`, in the middle of the next write, breaks something (given the operation id). */
function breakAt(at: FailpointName, how: (opId: string) => void): void {
  armFailpoint(at, { kind: 'call', run: (context) => how(String(context.opId)) });
}

/** A two-table write that must not become visible. */
function write(repo: Repo) {
  return repo.transaction((tx) => {
    tx.insert('Tag', { name: 'c' });
    tx.link('Next', 'b', 'c');
  });
}

/** Nothing of the failed write is visible, no table moved off its pin, nothing is left in flight. */
async function expectNothingPublished(repo: Repo, rowsBefore: unknown[]): Promise<void> {
  expect((await repo.scan('Tag')).map((r) => r.name).sort()).toEqual(rowsBefore);
  expect(await repo.scan('Next')).toHaveLength(1);
  expect(repo.pendingRecovery()).toEqual([]);
  expect(repo.journal.listLeases()).toEqual([]);
  expect((await repo.verify()).i1.filter((t) => !t.ok)).toEqual([]);
}

describe('write protocol assertions', () => {
  it('the sidecar is on disk before the first Lance commit: deleted after the intent, InvariantBroken and no Lance commit', async () => {
    const { repo, dir } = await seeded();
    const pins = repo.snapshot().pins;
    breakAt('write.after_intent', (opId) => rmSync(sidecarPath(dir, opId)));
    const err = await write(repo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvariantBroken);
    expect(err).toMatchObject({
      code: 'InvariantBroken',
      details: { invariant: 'sidecar-durable', phase: 'intent' },
    });
    const opId = (err as InvariantBroken).details.op_id as string;
    // Phase B never started: no Lance version was made, the pins are where they were.
    expect(repo.snapshot().pins).toEqual(pins);
    const kinds = repo.listEvents({ opId }).map((e) => e.kind);
    expect(kinds).not.toContain('table.committed');
    expect(kinds.slice(-2)).toEqual(['op.failed', 'op.rolled_back']);
    await expectNothingPublished(repo, ['a', 'b']);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it('the leases are held at publish: a lease lost before it is InvariantBroken and the write is rolled back', async () => {
    const { repo, dir } = await seeded();
    const commits = repo.listCommits().length;
    breakAt('write.before_publish', (opId) =>
      tamper(dir, (db) => db.prepare('DELETE FROM leases WHERE op_id = ?').run(opId)),
    );
    const err = await write(repo).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'InvariantBroken',
      details: { invariant: 'lease-held', phase: 'publish', table_key: 'edge:Next' },
    });
    await expectNothingPublished(repo, ['a', 'b']);
    // The only commit is the in-process rollback's, which restores both tables (HEAD == pin).
    const added = repo.listCommits().slice(0, repo.listCommits().length - commits);
    expect(added.map((c) => c.message)).toEqual([
      `rollback of failed operation ${String((err as InvariantBroken).details.op_id)}`,
    ]);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it("the journal's projections match the events applied: a projection changed under the write is InvariantBroken, nothing published", async () => {
    const { repo, dir } = await seeded();
    breakAt('write.before_publish', (opId) =>
      tamper(dir, (db) =>
        db.prepare("UPDATE operations SET actor = 'someone else' WHERE op_id = ?").run(opId),
      ),
    );
    const err = await write(repo).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'InvariantBroken',
      details: {
        invariant: 'projections-match',
        phase: 'publish',
        projection: 'operations',
        expected: { actor: 'lancelog' },
        actual: { actor: 'someone else' },
      },
    });
    await expectNothingPublished(repo, ['a', 'b']);
    await repo.close();
  });

  it("projectionMismatch is null for a write's own events and names the projection that differs", async () => {
    const { repo, dir } = await seeded();
    let seen: ReturnType<typeof projectionMismatch> | undefined;
    breakAt('write.before_publish', (opId) => {
      seen = projectionMismatch(repo.journal, { opId, branch: 'main' });
      tamper(dir, (db) => db.prepare('UPDATE leases SET owner_pid = 1 WHERE op_id = ?').run(opId));
    });
    await expect(write(repo)).rejects.toMatchObject({
      details: { invariant: 'projections-match', projection: 'leases' },
    });
    expect(seen).toBeNull();
    await repo.close();
  });
});
