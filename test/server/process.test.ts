/**
 * `lancelog serve` as a child process: SIGKILL in the middle of a write then recovery
 * on restart, and graceful shutdown on SIGTERM with a request in flight. (Export
 * streaming and its memory: export-memory.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { call, makeFixtureRepo, MUTATIONS_GQ, spawnServer } from '../helpers/server.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-proc-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The journal's last event position. */
async function lastSeq(url: string): Promise<number> {
  return (await call(url, 'GET', '/healthz')).body.journal.events as number;
}

/** Polls the journal until an event of `kind` after `afterSeq` exists (the write is at that step). */
async function waitForEvent(url: string, kind: string, afterSeq: number): Promise<void> {
  for (;;) {
    const r = await call(url, 'GET', `/journal?kind=${kind}&after_seq=${afterSeq}`);
    if (r.status === 200 && (r.body.events as unknown[]).length > 0) return;
    await sleep(100);
  }
}

describe('lancelog serve as a process', () => {
  it('a server SIGKILLed in the middle of a write recovers on restart', async () => {
    const dir = await makeFixtureRepo(join(root, 'kill'));
    const srv = await spawnServer(dir, {
      LANCELOG_FAILPOINTS: 'write.after_table_commit=delay:60000@1',
    });
    const seq = await lastSeq(srv.url);
    const pending = call(srv.url, 'POST', '/change', {
      body: {
        query_source: MUTATIONS_GQ,
        query_name: 'add_person',
        params: { name: 'Kim', age: 5 },
      },
    }).catch((err: unknown) => err);
    // The failpoint holds the writer after its Lance commit (before table.committed).
    await waitForEvent(srv.url, 'table.commit_started', seq);
    await sleep(500);
    srv.child.kill('SIGKILL');
    expect((await srv.exited).signal).toBe('SIGKILL');
    expect(await pending).toBeInstanceOf(Error);

    const again = await spawnServer(dir);
    try {
      const rec = await call(again.url, 'GET', '/recovery');
      expect(rec.body.pending).toEqual([]);
      expect(rec.body.audit).toHaveLength(1);
      const health = await call(again.url, 'GET', '/healthz');
      expect(health.body.journal.pending_recovery).toBe(0);
      // Killed after its Lance commit, before the publish: recovery decides (docs/recovery.md)
      // and the row is there exactly when it rolled forward.
      expect(rec.body.audit[0]).toMatchObject({
        originalActor: 'anonymous',
        writerKind: 'Mutation',
      });
      const kim = await call(again.url, 'POST', '/read', {
        body: {
          query_source:
            'query p($n: String) { match { $p: Person { name: $n } } return { $p.name } }',
          params: { n: 'Kim' },
        },
      });
      expect(kim.body.row_count).toBe(rec.body.audit[0].decision === 'RollForward' ? 1 : 0);
      // And the server writes again.
      const next = await call(again.url, 'POST', '/change', {
        body: {
          query_source: MUTATIONS_GQ,
          query_name: 'add_person',
          params: { name: 'Lee', age: 6 },
        },
      });
      expect(next.status).toBe(200);
    } finally {
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    }
  });

  it('SIGTERM: the request in flight finishes, then the server exits 0', async () => {
    const dir = await makeFixtureRepo(join(root, 'term'));
    const srv = await spawnServer(dir, {
      LANCELOG_FAILPOINTS: 'write.before_publish=delay:3000@1',
    });
    const seq = await lastSeq(srv.url);
    const pending = call(srv.url, 'POST', '/change', {
      body: {
        query_source: MUTATIONS_GQ,
        query_name: 'add_person',
        params: { name: 'Max', age: 7 },
      },
    });
    await waitForEvent(srv.url, 'table.committed', seq);
    srv.child.kill('SIGTERM');
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(await srv.exited).toEqual({ code: 0, signal: null });
    const repo = await Repo.open(dir, { readOnly: true });
    try {
      expect(await repo.get('Person', 'Max')).not.toBeNull();
      expect(repo.pendingRecovery()).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});
