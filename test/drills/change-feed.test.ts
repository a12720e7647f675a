/**
 * Crash drills of the change feed, with real SIGKILLed processes:
 * - a writer killed before its publish with its tables rolled back by recovery never
 *   appears in the feed, while one killed after its publish does, exactly once (a
 *   writer killed with every table committed is rolled forward by recovery, which
 *   publishes it: docs/recovery.md);
 * - a follower (`lancelog changes poll --follow --json`) SIGKILLed mid-stream and
 *   started again with the last cursor it printed misses no commit.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollChanges, Repo } from '../../src/index.js';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { ROOT } from '../helpers/cli.js';
import { runChild } from '../helpers/crash.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const PG = 'node Person { name: String @key }\nnode Note { text: String }\n';

async function feedIds(dir: string, cursor: string) {
  const repo = await Repo.open(dir, { readOnly: true });
  try {
    const out: Array<{ commit: string; ids: string[] }> = [];
    let args: Parameters<typeof pollChanges>[1] = { cursor };
    for (;;) {
      const page = await pollChanges(repo, args);
      for (const b of page.blocks)
        out.push({ commit: b.cause.graphCommitId, ids: b.changes.map((c) => c.id) });
      if (page.nextPageToken) args = { pageToken: page.nextPageToken };
      else if (!page.caughtUp) args = { cursor: page.cursor! };
      else return out;
    }
  } finally {
    await repo.close();
  }
}

describe('change feed crash drills', () => {
  it('a write rolled back by recovery never appears; one published before the crash appears once', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, PG);
    const start = (await pollChanges(repo, {})).cursor!;
    await repo.close();
    const row = (name: string) => ({
      repo: dir,
      action: 'insert',
      rows: [
        { type: 'Person', data: { name } },
        { type: 'Note', data: { text: name } },
      ],
    });
    // One of two tables committed (recovery rolls back), or none (recovery cleans up).
    for (const point of [
      `write.after_table_commit=crash@1;${HOLD_BACK_LATER_TABLE_COMMITS}`,
      'write.before_table_commit=crash',
    ]) {
      const r = await runChild(row(`lost-${point.split('=')[0]}`), point);
      expect(r.signal).toBe('SIGKILL');
      expect((await runChild({ repo: dir, action: 'recover' })).status).toBe(0);
    }
    const kept = await runChild(row('kept'), 'write.after_publish=crash');
    expect(kept.signal).toBe('SIGKILL');
    expect((await runChild({ repo: dir, action: 'recover' })).status).toBe(0);
    const seen = await feedIds(dir, start);
    const ids = seen.flatMap((b) => b.ids);
    expect(ids.filter((id) => id.startsWith('lost-'))).toEqual([]);
    expect(ids.filter((id) => id === 'kept')).toEqual(['kept']);
    // Recovery's own commits (a rollback restores what was published) change nothing.
    for (const b of seen) if (!b.ids.includes('kept')) expect(b.ids).toEqual([]);
  }, 240_000);

  it('a follower SIGKILLed and resumed with its last cursor misses nothing', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, PG);
    const start = (await pollChanges(repo, {})).cursor!;
    const made: string[] = [];
    const write = async (n: number) => {
      for (let i = 0; i < n; i++)
        made.push(
          (await repo.transaction((tx) => void tx.insert('Note', { text: `t${made.length}` })))
            .commitId!,
        );
    };
    const follow = (cursor: string) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(ROOT, 'cli', 'main.ts'),
          'changes',
          'poll',
          dir,
          '--follow',
          '--json',
          '--cursor',
          cursor,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const seen: string[] = [];
      let last = cursor;
      let buf = '';
      const waiters: Array<() => void> = [];
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = JSON.parse(buf.slice(0, nl)) as {
            cause?: { graph_commit_id: string };
            cursor?: string;
          };
          buf = buf.slice(nl + 1);
          if (line.cause) seen.push(line.cause.graph_commit_id);
          if (line.cursor) last = line.cursor;
          for (const w of waiters.splice(0)) w();
        }
      });
      const until = async (done: () => boolean) => {
        while (!done()) await new Promise<void>((r) => waiters.push(r));
      };
      return { child, seen, cursor: () => last, until };
    };
    try {
      const a = follow(start);
      await write(3);
      await a.until(() => made.every((c) => a.seen.includes(c)));
      a.child.kill('SIGKILL');
      const resumeFrom = a.cursor();
      await write(3);
      const b = follow(resumeFrom);
      await write(2);
      await b.until(() => made.every((c) => a.seen.includes(c) || b.seen.includes(c)));
      b.child.kill('SIGKILL');
      const delivered = new Set([...a.seen, ...b.seen]);
      expect(made.filter((c) => !delivered.has(c))).toEqual([]);
      // Nothing was delivered that was not made (at least once, never invented).
      expect([...delivered].filter((c) => !made.includes(c))).toEqual([]);
    } finally {
      await repo.close();
    }
  }, 240_000);
});
