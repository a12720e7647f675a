import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OutcomeUnknown, Repo, type LancelogError } from '../../src/index.js';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runChild, startChild } from '../helpers/crash.js';

const tmp = useTmpDirs();

const SCHEMA = `
node Person { name: String @key }
node Note { text: String @key }
node Other { x: String @key }
`;

async function seeded(): Promise<string> {
  const dir = join(tmp(), 'repo');
  const repo = await makeRepo(dir, SCHEMA);
  await repo.transaction((tx) => {
    tx.insert('Person', { name: 'a' });
    tx.insert('Note', { text: 'a' });
  });
  await repo.close();
  return dir;
}

/** A two-table insert run in a child that SIGKILLs itself at `failpoint`. */
async function crashAt(
  dir: string,
  failpoint: string,
  opts: { branch?: string; rows?: Array<{ type: string; data: Record<string, unknown> }> } = {},
): Promise<void> {
  // `<spec>;<name>@<hit>`: failpoints armed alongside the crash (e.g. a delay).
  const also = failpoint.includes(';') ? `${failpoint.slice(0, failpoint.lastIndexOf(';'))};` : '';
  const [name, hit] = failpoint.slice(failpoint.lastIndexOf(';') + 1).split('@');
  const r = await runChild(
    {
      repo: dir,
      action: 'insert',
      branch: opts.branch,
      rows: opts.rows ?? [
        { type: 'Person', data: { name: 'b' } },
        { type: 'Note', data: { text: 'b' } },
      ],
    },
    `${also}${name}=crash${hit ? `@${hit}` : ''}`,
  );
  expect(r.signal).toBe('SIGKILL');
}

async function visible(repo: Repo, branch = 'main'): Promise<string[]> {
  const ids = [
    ...(await repo.scan('Person', { branch })).map((r) => `P:${r.id}`),
    ...(await repo.scan('Note', { branch })).map((r) => `N:${r.id}`),
  ];
  return ids.sort();
}

const BEFORE = ['N:a', 'P:a'];
const AFTER = ['N:a', 'N:b', 'P:a', 'P:b'];

/**
 * Phase B commits Note and Person concurrently (started in that order): a crash after
 * the first commit holds Person's commit back (a 5 s delay before it) so exactly one
 * table has committed when the process dies.
 */
const FIRST_COMMIT_ONLY = `${HOLD_BACK_LATER_TABLE_COMMITS};write.after_table_commit@1`;

/** [failpoint spec, expected decision, visible after recovery]. Tables start in order node:Note, node:Person. */
const CRASHES: Array<[string, string | null, string[]]> = [
  // op.begun is journaled with the leases: a crash before them leaves nothing.
  ['write.after_begin', null, BEFORE],
  ['write.after_lease', 'RollBack', BEFORE],
  ['write.after_intent', 'RollBack', BEFORE],
  ['write.before_table_commit@2', 'RollBack', BEFORE],
  [FIRST_COMMIT_ONLY, 'RollBack', BEFORE],
  ['write.after_table_commit@2', 'RollForward', AFTER],
  ['write.before_publish', 'RollForward', AFTER],
  // The publish also records op.completed: what is left is a stale sidecar, which the open removes.
  ['write.after_publish', null, AFTER],
  ['write.after_cleanup', null, AFTER],
];

describe('recovery after a real SIGKILL at each write failpoint', () => {
  for (const [point, decision, after] of CRASHES) {
    it(`${point} → ${decision ?? 'nothing to do'}`, async () => {
      const dir = await seeded();
      await crashAt(dir, point);
      // A read-only open changes nothing and reports what is pending.
      const ro = await Repo.open(dir, { readOnly: true });
      const eventsBefore = ro.listEvents().length;
      try {
        expect(await visible(ro)).toEqual(
          point.startsWith('write.after_publish') || point === 'write.after_cleanup'
            ? AFTER
            : BEFORE,
        );
        expect(ro.pendingRecovery().length).toBe(decision ? 1 : 0);
      } finally {
        await ro.close();
      }
      const planning = await Repo.open(dir, { recover: false });
      try {
        const plan = await planning.recover({ dryRun: true });
        expect(plan.operations.map((o) => o.decision)).toEqual(decision ? [decision] : []);
        expect(planning.listEvents().length).toBe(eventsBefore);
      } finally {
        await planning.close();
      }
      const repo = await Repo.open(dir);
      try {
        expect(await visible(repo)).toEqual(after);
        expect(repo.pendingRecovery()).toEqual([]);
        expect(
          existsSync(join(dir, '__recovery')) ? readdirSync(join(dir, '__recovery')) : [],
        ).toEqual([]);
        const report = await repo.verify();
        expect(report.differences).toEqual([]);
        const audit = repo.recoveryAudit();
        expect(audit.map((a) => a.decision)).toEqual(decision ? [decision] : []);
        if (decision) {
          expect(audit[0]).toMatchObject({ originalActor: 'child', writerKind: 'Mutation' });
          expect(audit[0].commitId).not.toBeNull();
          expect(repo.getCommit(audit[0].commitId!).actor).toBe('lancelog:recovery');
        }
        // Liveness: the next write to both tables succeeds.
        await repo.transaction((tx) => {
          tx.insert('Person', { name: 'z' });
          tx.insert('Note', { text: 'z' });
        });
        expect((await repo.verify()).ok).toBe(true);
      } finally {
        await repo.close();
      }
    });
  }
});

describe('recovery on a feature branch', () => {
  it("classifies against the branch's own pins and Lance branch", async () => {
    const dir = await seeded();
    const r0 = await Repo.open(dir);
    r0.createBranch('feat');
    await r0.close();
    // The first write on the branch forks Note and Person, commits Note, and dies.
    await crashAt(dir, FIRST_COMMIT_ONLY, { branch: 'feat' });
    const first = await Repo.open(dir);
    try {
      expect(first.recoveryAudit().map((a) => a.decision)).toEqual(['RollBack']);
      expect(await visible(first, 'feat')).toEqual(BEFORE);
      expect((await first.verify()).ok).toBe(true);
    } finally {
      await first.close();
    }
    await crashAt(dir, 'write.before_publish', { branch: 'feat' });
    const repo = await Repo.open(dir);
    try {
      expect(repo.recoveryAudit().map((a) => a.decision)).toEqual(['RollBack', 'RollForward']);
      expect(repo.recoveryAudit().every((a) => a.branch === 'feat')).toBe(true);
      expect(await visible(repo, 'feat')).toEqual(AFTER);
      expect(await visible(repo)).toEqual(BEFORE);
      expect(await repo.scan('Other', { branch: 'feat' })).toEqual([]);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});

describe('refresh, leases and owners', () => {
  it("refresh rolls forward a dead writer's operation without reopening; a live owner is never touched", async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir);
    try {
      const child = startChild(
        { repo: dir, action: 'insert', rows: [{ type: 'Person', data: { name: 'b' } }] },
        'write.before_publish=delay:60000',
      );
      // Wait until the child holds its leases and has committed in Lance (its
      // table.committed is journaled with the publish it is parked before).
      const pin = repo.snapshot().pins.find((p) => p.tableKey === 'node:Person')!.version;
      const head = async () =>
        (await repo.verify()).i1.find((x) => x.branch === 'main' && x.tableKey === 'node:Person')!
          .head;
      for (let i = 0; i < 300 && (await head()) === pin; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await head()).toBe(pin + 1);
      const live = await repo.refresh();
      expect(live?.operations.map((o) => o.status)).toEqual(['skipped']);
      const other = await Repo.open(dir); // a read-write open must not touch it either
      await other.close();
      expect(repo.journal.inFlightOperations()).toHaveLength(1);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const done = await repo.refresh();
      expect(done?.operations.map((o) => [o.decision, o.status])).toEqual([
        ['RollForward', 'applied'],
      ]);
      expect((await repo.scan('Person')).map((r) => r.id).sort()).toEqual(['a', 'b']);
      expect(await repo.refresh()).toBeNull();
    } finally {
      await repo.close();
    }
  });

  it('processes several pending operations oldest first, each against fresh state', async () => {
    const dir = await seeded();
    await crashAt(dir, 'write.before_publish', { rows: [{ type: 'Person', data: { name: 'b' } }] });
    await crashAt(dir, 'write.after_intent', { rows: [{ type: 'Note', data: { text: 'b' } }] });
    await crashAt(dir, 'write.after_table_commit', { rows: [{ type: 'Other', data: { x: 'b' } }] });
    const repo = await Repo.open(dir, { recover: false });
    try {
      const report = await repo.recover();
      expect(report.operations.map((o) => o.decision)).toEqual([
        'RollForward',
        'RollBack',
        'RollForward',
      ]);
      expect(await visible(repo)).toEqual(['N:a', 'P:a', 'P:b']);
      expect((await repo.scan('Other')).map((r) => r.id)).toEqual(['b']);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('a crash inside recovery, then recovery again, converges', async () => {
    for (const point of [
      'recovery.after_restore',
      'recovery.before_publish',
      'recovery.after_publish',
      'recovery.after_classify',
    ]) {
      const dir = await seeded();
      await crashAt(dir, FIRST_COMMIT_ONLY);
      const r = await runChild({ repo: dir, action: 'open' }, `${point}=crash`);
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
      const repo = await Repo.open(dir);
      try {
        expect({ point, visible: await visible(repo) }).toEqual({ point, visible: BEFORE });
        expect(repo.pendingRecovery()).toEqual([]);
        expect((await repo.verify()).differences).toEqual([]);
        expect(repo.recoveryAudit().at(-1)?.decision).toBe('RollBack');
      } finally {
        await repo.close();
      }
    }
  }); // eight child processes in a row: the project timeout is sized for a loaded machine

  it('an in-process rollback that fails is finished by recovery in the same process', async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir);
    const { armFailpoint, disarmAllFailpoints } = await import('../../src/index.js');
    try {
      armFailpoint('write.before_publish', { kind: 'error' });
      armFailpoint('write.before_rollback_publish', { kind: 'error' });
      await expect(
        repo.transaction((tx) => {
          tx.insert('Person', { name: 'b' });
        }),
      ).rejects.toMatchObject({ code: 'FailpointTriggered' });
      disarmAllFailpoints();
      expect((await repo.verify()).ok).toBe(false);
      const report = await repo.refresh();
      expect(report?.operations.map((o) => o.decision)).toEqual(['RollBack']);
      expect(await visible(repo)).toEqual(BEFORE);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      disarmAllFailpoints();
      await repo.close();
    }
  });
});

describe('told failed → rolled back (honest outcomes)', () => {
  const insertB = (repo: Repo) =>
    repo.transaction((tx) => {
      tx.insert('Person', { name: 'b' });
      tx.insert('Note', { text: 'b' });
    });

  it('a write told failed after every table committed whole is rolled back by recovery, never forward', async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir);
    const { armFailpoint, disarmAllFailpoints } = await import('../../src/index.js');
    try {
      armFailpoint('write.before_publish', { kind: 'error' });
      // The in-process rollback cannot run (as on a full disk): only op.failed is journaled.
      armFailpoint('write.before_rollback', { kind: 'error' });
      const err = await insertB(repo).then(
        () => expect.fail('the write should fail'),
        (e: LancelogError) => e,
      );
      // The caller hears the original failure, not the rollback's.
      expect(err).toMatchObject({
        code: 'FailpointTriggered',
        details: { failpoint: 'write.before_publish' },
      });
      disarmAllFailpoints();
      const report = await repo.refresh();
      expect(report?.operations.map((o) => o.decision)).toEqual(['RollBack']);
      expect(report?.operations[0].actions[0]).toContain('told it failed');
      expect(await visible(repo)).toEqual(BEFORE);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      disarmAllFailpoints();
      await repo.close();
    }
  });

  for (const [name, spec, decides, after] of [
    ['every table committed', 'write.before_publish', 'RollForward', ['N:a', 'N:b', 'P:a', 'P:b']],
    ['one of two tables committed', 'write.before_table_commit@2', 'RollBack', BEFORE],
  ] as const)
    it(`when op.failed cannot be journaled (${name}): OutcomeUnknown with the op id and what recover decides (${decides}), and recover decides that`, async () => {
      const dir = await seeded();
      const repo = await Repo.open(dir);
      const { armFailpoint, disarmAllFailpoints } = await import('../../src/index.js');
      const [fp, hit] = spec.split('@');
      // The journal refuses op.failed as a full disk makes SQLite do.
      const full = vi.spyOn(repo.journal, 'failOperation').mockImplementation(() => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      });
      try {
        armFailpoint(
          fp as 'write.before_publish',
          { kind: 'error' },
          hit ? { onHit: Number(hit) } : {},
        );
        const err = await insertB(repo).then(
          () => expect.fail('the write should fail'),
          (e: LancelogError) => e,
        );
        expect(err).toBeInstanceOf(OutcomeUnknown);
        expect(err.code).toBe('OutcomeUnknown');
        expect(err.details).toMatchObject({ recover_decides: decides });
        expect(err.details.op_id).toMatch(/^[0-9A-Z]{26}$/);
        expect(err.message).not.toContain('nothing was published');
        expect(err.message).toContain('database or disk is full');
        full.mockRestore();
        disarmAllFailpoints();
        const report = await repo.refresh();
        expect(report?.operations.map((o) => [o.opId, o.decision])).toEqual([
          [err.details.op_id, decides],
        ]);
        expect(await visible(repo)).toEqual([...after].sort());
        expect((await repo.verify()).ok).toBe(true);
      } finally {
        full.mockRestore();
        disarmAllFailpoints();
        await repo.close();
      }
    });
});

describe('bad input', () => {
  async function crashedWithSidecar(): Promise<{ dir: string; sidecar: string }> {
    const dir = await seeded();
    await crashAt(dir, 'write.before_publish');
    const [file] = readdirSync(join(dir, '__recovery'));
    return { dir, sidecar: join(dir, '__recovery', file) };
  }

  const corruptions: Array<[string, (text: string) => string, RegExp]> = [
    ['garbage', () => 'not json {', /not valid JSON/],
    ['truncated', (t) => t.slice(0, t.length / 2), /not valid JSON/],
    ['schema violation', (t) => t.replace('"expected_version"', '"expected_versionX"'), /tables/],
    [
      'future schema_version',
      (t) => t.replace('"schema_version": 1', '"schema_version": 99'),
      /schema_version 99/,
    ],
  ];
  for (const [name, corrupt, reason] of corruptions) {
    it(`a ${name} sidecar aborts a read-write open with RecoveryAborted naming the file; read-only still reads`, async () => {
      const { dir, sidecar } = await crashedWithSidecar();
      writeFileSync(sidecar, corrupt(readFileSync(sidecar, 'utf8')));
      const bytes = readFileSync(sidecar, 'utf8');
      let err: LancelogError | undefined;
      try {
        await (await Repo.open(dir)).close();
      } catch (e) {
        err = e as LancelogError;
      }
      expect(err?.code).toBe('RecoveryAborted');
      expect(err?.message).toContain(sidecar);
      expect(err?.message).toMatch(reason);
      expect(readFileSync(sidecar, 'utf8')).toBe(bytes);
      const ro = await Repo.open(dir, { readOnly: true });
      try {
        expect(await visible(ro)).toEqual(BEFORE);
      } finally {
        await ro.close();
      }
    });
  }

  it('a sidecar the journal does not know (journal restored from an older backup) is recovered from the sidecar alone: rolled back, since no record of its files survives', async () => {
    const dir = await seeded();
    copyFileSync(join(dir, '_lancelog.db'), join(dir, 'backup.db'));
    await crashAt(dir, 'write.before_publish');
    // Restore the old journal: WAL files of the newer one must go too.
    for (const f of ['_lancelog.db-wal', '_lancelog.db-shm'])
      if (existsSync(join(dir, f))) writeFileSync(join(dir, f), '');
    copyFileSync(join(dir, 'backup.db'), join(dir, '_lancelog.db'));
    const repo = await Repo.open(dir);
    try {
      // The commit landed, but the journal that recorded its files' checksums is gone:
      // nothing proves the files are what was written, and nothing was acknowledged.
      const audit = repo.recoveryAudit();
      expect(audit.map((a) => a.decision)).toEqual(['RollBack']);
      expect(await visible(repo)).toEqual(BEFORE);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('HEAD below the pin is an InvariantViolation: Abort, loudly, with the numbers, touching nothing', async () => {
    const dir = await seeded();
    await crashAt(dir, 'write.after_intent', { rows: [{ type: 'Person', data: { name: 'b' } }] });
    const repo = await Repo.open(dir, { recover: false });
    const op = repo.journal.inFlightOperations()[0];
    repo.journal.releaseLeases(op.opId);
    const pin = repo.snapshot().pins.find((p) => p.tableKey === 'node:Person')!;
    repo.journal.publish({
      branch: 'main',
      actor: 'drift',
      tables: [
        {
          tableKey: 'node:Person',
          expectedVersion: pin.version,
          newVersion: pin.version + 5,
          lanceBranch: null,
        },
      ],
    });
    const events = repo.listEvents().length;
    await repo.close();
    let err: LancelogError | undefined;
    try {
      await (await Repo.open(dir)).close();
    } catch (e) {
      err = e as LancelogError;
    }
    expect(err?.code).toBe('RecoveryAborted');
    expect(err?.message).toContain(`below its pin ${pin.version + 5}`);
    const ro = await Repo.open(dir, { readOnly: true });
    try {
      expect(ro.pendingRecovery()).toHaveLength(1);
      expect(ro.recoveryAudit().map((a) => a.decision)).toEqual(['Abort']);
      expect(ro.listEvents().length).toBeGreaterThan(events);
    } finally {
      await ro.close();
    }
  });
});
