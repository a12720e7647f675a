/**
 * `snapshot`, `commit list|show`, `branch create|list|delete`, `journal log|show|verify`
 * through the real CLI. History is produced in the test process through the
 * internals a writer uses (Lance append + journal protocol events + publish);
 * each CLI spawn costs ~1.5 s, so every spawn asserts as much as it can.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const TEST_PG = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8');
/** Each spawn can take several seconds on a loaded 2-core machine. */
const SLOW = 120_000;
const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function appendOnly(
  repo: Repo,
  type: string,
  rows: Record<string, unknown>[],
): Promise<number> {
  const def = repo.typeDef(type);
  const t = await repo.store.openTable(def.tableKey, def.tablePath);
  try {
    return await t.append(rows);
  } finally {
    t.close();
  }
}

async function publishRows(
  repo: Repo,
  type: string,
  rows: Record<string, unknown>[],
  actor: string,
) {
  const def = repo.typeDef(type);
  const pin = repo.pinOf(repo.snapshot(), def.tableKey);
  const newVersion = await appendOnly(repo, type, rows);
  return repo.journal.publish({
    branch: 'main',
    actor,
    tables: [
      { tableKey: def.tableKey, expectedVersion: pin.version, newVersion, lanceBranch: null },
    ],
  });
}

/**
 * A repo with: c1 (init), c2 = a bare publish by `ann`, c3 = a full protocol
 * operation by `ben` (begin → lease → intent → commit → publish → complete), and an
 * operation that failed and was rolled back.
 */
async function seed() {
  const dir = join(tmp(), 'repo');
  await Repo.init(dir, { schemaSource: TEST_PG, schemaFile: 'test.pg' });
  const repo = await Repo.open(dir);
  try {
    const c1 = repo.snapshot().commitId;
    const c2 = await publishRows(repo, 'Person', [{ id: 'alice', name: 'alice', age: 30 }], 'ann');
    const j = repo.journal;
    const key = 'node:Company';
    const opId = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'ben' });
    j.acquireLeases(opId, [{ tableKey: key, branch: 'main', expectedVersion: 1 }]);
    j.recordIntent(opId, [
      { tableKey: key, lanceBranch: null, expectedVersion: 1, postCommitVersion: 2 },
    ]);
    j.tableCommitStarted(opId, key);
    const v = await appendOnly(repo, 'Company', [{ id: 'acme', name: 'acme' }]);
    j.tableCommitted(opId, key, v);
    const c3 = j.publish({
      opId,
      branch: 'main',
      actor: 'ben',
      message: 'add acme',
      tables: [{ tableKey: key, expectedVersion: 1, newVersion: v, lanceBranch: null }],
    });
    j.completeOperation(opId);
    const failedOp = j.beginOperation({ kind: 'Load', branch: 'main', actor: 'ann' });
    j.failOperation(failedOp, { code: 'ValidationError', message: 'age must be >= 0' }, 'stage');
    j.rolledBack(failedOp, []);
    return {
      dir,
      c1,
      c2: c2.commitId,
      c3: c3.commitId,
      opId,
      failedOp,
      initTimeUs: repo.getCommit(c1).timeUs,
    };
  } finally {
    await repo.close();
  }
}

describe('lancelog snapshot / commit', () => {
  it(
    'snapshot at the head, at a manifest version and at a commit; commit list and show',
    async () => {
      const s = await seed();

      const head = await runCli(['snapshot', s.dir, '--json']);
      expect(head.code).toBe(0);
      const h = head.json();
      expect(h).toMatchObject({ branch: 'main', manifestVersion: 3, commitId: s.c3 });
      expect(h.time).toMatch(ISO_US);
      expect(
        h.tables.map((t: any) => [t.tableKey, t.pinnedVersion, t.lanceBranch, t.rows]),
      ).toEqual([
        ['node:Person', 2, null, 1],
        ['node:Company', 2, null, 1],
        ['edge:Knows', 1, null, 0],
        ['edge:WorksAt', 1, null, 0],
      ]);

      const byCommit = (
        await runCli(['snapshot', '--commit', s.c2, '--uri', s.dir, '--json'])
      ).json();
      expect(byCommit).toMatchObject({ manifestVersion: 2, commitId: s.c2 });
      expect(byCommit.tables.find((t: any) => t.tableKey === 'node:Company')).toMatchObject({
        pinnedVersion: 1,
        rows: 0,
      });

      const text = await runCli(['snapshot', '--branch', 'main', '--version', '1', s.dir]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`branch main  manifest 1  commit ${s.c1}`);
      expect(text.stdout).toMatch(/^table\s+version\s+lance branch\s+rows$/m);
      expect(text.stdout).toMatch(/^node:Person\s+1\s+-\s+0$/m);

      const list = await runCli([
        'commit',
        'list',
        '--filter',
        'actor=ann',
        '--limit',
        '5',
        s.dir,
        '--json',
      ]);
      expect(list.code).toBe(0);
      expect(list.json().commits.map((c: any) => [c.id, c.actor, c.manifestVersion])).toEqual([
        [s.c2, 'ann', 2],
      ]);

      const all = await runCli(['commit', 'list', '--branch', 'main', s.dir]);
      expect(all.code).toBe(0);
      const lines = all.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^commit\s+branch\s+manifest\s+actor\s+time\s+message$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([s.c3, s.c2, s.c1]);
      expect(lines[1]).toMatch(/ben\s+\S+Z\s+add acme$/);

      const show = await runCli(['commit', 'show', s.c3, s.dir, '--json']);
      expect(show.code).toBe(0);
      expect(show.json()).toMatchObject({
        id: s.c3,
        branch: 'main',
        manifestVersion: 3,
        parentId: s.c2,
        mergedParentId: null,
        actor: 'ben',
        opId: s.opId,
        message: 'add acme',
        changes: [{ tableKey: 'node:Company', from: 1, to: 2, lanceBranch: null }],
      });
      expect(show.json().pins).toHaveLength(4);
    },
    SLOW,
  );
});

describe('lancelog branch', () => {
  it(
    'create (from a branch, or a commit in its history), list, delete',
    async () => {
      const s = await seed();
      const created = await runCli([
        'branch',
        'create',
        '--from',
        'main',
        '--commit',
        s.c2,
        'feat',
        s.dir,
        '--json',
      ]);
      expect(created.code).toBe(0);
      expect(created.json()).toMatchObject({
        branch: 'feat',
        parentBranch: 'main',
        parentManifestVersion: 2,
        manifestVersion: 1,
        commitId: s.c2,
      });
      expect(created.json().pins.every((p: any) => p.lanceBranch === null)).toBe(true);

      const text = await runCli(['branch', 'create', '--from', 'feat', 'child', s.dir]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('created branch child from feat at manifest 1');

      const list = await runCli(['branch', 'list', s.dir, '--json']);
      expect(
        list.json().branches.map((b: any) => [b.name, b.parentBranch, b.headManifestVersion]),
      ).toEqual([
        ['child', 'feat', 1],
        ['feat', 'main', 1],
        ['main', null, 3],
      ]);

      const inUse = await runCli(['branch', 'delete', 'feat', s.dir, '--json']);
      expect(inUse.code).toBe(1);
      expect(inUse.json()).toMatchObject({
        code: 'BranchInUse',
        details: { branch: 'feat', children: ['child'] },
      });
      const deleted = await runCli(['branch', 'delete', 'child', s.dir, '--json']);
      expect(deleted.code).toBe(0);
      expect(deleted.json()).toEqual({ branch: 'child', deletedLanceBranches: [] });
      const main = await runCli(['branch', 'delete', 'main', s.dir]);
      expect(main.code).toBe(1);
      expect(main.stderr).toContain('error [InvalidBranchName]');
      expect(main.stderr).not.toContain('    at ');
    },
    SLOW,
  );
});

describe('lancelog journal', () => {
  it(
    "log filters by kind, time, op and limit; show prints an operation's timeline",
    async () => {
      const s = await seed();
      const since = new Date(Math.floor(s.initTimeUs / 1000) + 1).toISOString();
      const log = await runCli([
        'journal',
        'log',
        '--kind',
        'op.published',
        '--since',
        since,
        s.dir,
        '--json',
      ]);
      expect(log.code).toBe(0);
      const events = log.json().events;
      expect(events.map((e: any) => e.payload.commit_id)).toEqual([s.c3, s.c2]); // newest first
      expect(events[0]).toMatchObject({
        kind: 'op.published',
        opId: s.opId,
        branch: 'main',
        tableKey: null,
      });
      expect(events[0].time).toMatch(ISO_US);

      const byOp = await runCli([
        'journal',
        'log',
        '--op',
        s.opId,
        '--limit',
        '2',
        '--since',
        String(s.initTimeUs),
        s.dir,
      ]);
      expect(byOp.code).toBe(0);
      const rows = byOp.stdout.trim().split('\n');
      expect(rows[0]).toMatch(/^#\s+time\s+event\s+branch\s+op\s+table\s+detail$/);
      expect(rows.slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['op.completed', 'op.published']);

      const show = await runCli(['journal', 'show', s.opId, s.dir, '--json']);
      expect(show.code).toBe(0);
      const t = show.json();
      expect(t).toMatchObject({
        opId: s.opId,
        kind: 'Mutation',
        branch: 'main',
        actor: 'ben',
        state: 'completed',
        outcome: 'completed',
        inFlight: false,
        tables: ['node:Company'],
        commitId: s.c3,
        manifestVersion: 3,
        error: null,
        recoveredBy: [],
      });
      expect(t.steps.map((x: any) => [x.kind, x.phase])).toEqual([
        ['op.begun', 'begin'],
        ['lease.acquired', 'lease'],
        ['op.intent_recorded', 'intent'],
        ['table.commit_started', 'table_commit'],
        ['table.committed', 'table_commit'],
        ['op.published', 'publish'],
        ['op.completed', 'cleanup'],
      ]);
      expect(t.steps[0].sincePreviousUs).toBe(0);
      for (let i = 1; i < t.steps.length; i++) {
        expect(t.steps[i].sincePreviousUs).toBe(t.steps[i].timeUs - t.steps[i - 1].timeUs);
        expect(t.steps[i].sincePreviousUs).toBeGreaterThanOrEqual(0);
      }
      expect(t.durationUs).toBe(t.steps.at(-1).timeUs - t.steps[0].timeUs);

      const failed = await runCli(['journal', 'show', s.failedOp, s.dir]);
      expect(failed.code).toBe(0);
      expect(failed.stdout).toContain(`operation ${s.failedOp} (Load) on branch main by ann`);
      expect(failed.stdout).toContain('outcome:  rolled_back');
      expect(failed.stdout).toContain('error:    [ValidationError] age must be >= 0 (phase stage)');
      expect(failed.stdout).toMatch(
        /^\d+\s+\S+Z\s+\+\S+\s+failed\s+op\.failed\s+-\s+\[ValidationError\]/m,
      );
    },
    SLOW,
  );

  it(
    'rejects bad input with typed errors',
    async () => {
      const s = await seed();
      const kind = await runCli(['journal', 'log', '--kind', 'op.nope', s.dir, '--json']);
      expect(kind.code).toBe(2);
      expect(kind.json()).toMatchObject({
        code: 'UsageError',
        details: { option: '--kind', value: 'op.nope' },
      });
      const since = await runCli(['journal', 'log', '--since', 'yesterday', s.dir]);
      expect(since.code).toBe(2);
      expect(since.stderr).toMatch(/^error \[UsageError\]: --since must be an ISO-8601 time/);
      expect(since.stderr).not.toContain('    at ');
      const op = await runCli(['journal', 'show', 'NOPE', s.dir, '--json']);
      expect(op.json()).toMatchObject({ code: 'OperationNotFound', details: { op_id: 'NOPE' } });
      const filter = await runCli(['commit', 'list', '--filter', 'who=ann', s.dir, '--json']);
      expect(filter.json()).toMatchObject({ code: 'UsageError', details: { option: '--filter' } });
      const both = await runCli(['snapshot', '--version', '2', '--commit', s.c2, s.dir, '--json']);
      expect(both.json()).toMatchObject({ code: 'UsageError' });
    },
    SLOW,
  );

  it(
    'verify: ok on a clean repo, exit 1 and the I1 difference after an unpublished append',
    async () => {
      const s = await seed();
      const ok = await runCli(['journal', 'verify', s.dir, '--json']);
      expect(ok.code).toBe(0);
      expect(ok.json()).toMatchObject({ ok: true, differences: [], integrity: 'ok' });
      expect(ok.json().i1).toHaveLength(4);

      const repo = await Repo.open(s.dir);
      let head: number;
      try {
        head = await appendOnly(repo, 'Person', [{ id: 'ghost', name: 'ghost' }]);
      } finally {
        await repo.close();
      }
      const bad = await runCli(['journal', 'verify', s.dir]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^main\s+node:Person\s+2\s+3\s+-\s+VIOLATED$/m);
      expect(bad.stdout).toMatch(/^main\s+node:Company\s+2\s+2\s+-\s+ok$/m);
      expect(bad.stdout).toContain(
        `NOT OK: 1 difference\n  - I1 violated: node:Person on branch main: pin 2, Lance HEAD ${head}`,
      );
    },
    SLOW,
  );
});
