/**
 * The change-feed commands through the real CLI: `commit changes` (one JSON document
 * built page by page), `changes poll` (pages consumed, the cursor printed last, a
 * rejected cursor typed), `changes baseline --out` (the file installed, then the cursor
 * that resumes after it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const PG = 'node Person { name: String @key  age: I32? }\n';

describe('change feed commands', () => {
  it('commit changes, changes poll and changes baseline', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, PG);
    const c1 = (
      await repo.transaction((tx) => {
        for (const name of ['a', 'b', 'c']) tx.insert('Person', { name, age: 1 });
      })
    ).commitId!;
    await repo.close();

    const changes = await runCli(['commit', 'changes', c1, dir, '--limit', '2', '--json']);
    expect(changes.code).toBe(0);
    const doc = changes.json();
    expect(doc.cause.graph_commit_id).toBe(c1);
    expect(doc.changes.map((c: { id: string }) => c.id)).toEqual(['a', 'b', 'c']);
    const text = await runCli(['commit', 'changes', c1, dir, '--op', 'insert']);
    expect(text.stdout).toContain('+ node Person a {"name":"a","age":1}');

    const poll = await runCli([
      'changes',
      'poll',
      dir,
      '--start',
      'beginning',
      '--limit',
      '1',
      '--json',
    ]);
    expect(poll.code).toBe(0);
    const page = poll.json();
    expect(page.blocks).toHaveLength(1);
    expect(page.blocks[0].changes).toHaveLength(3);
    expect(page.caught_up).toBe(true);
    const again = await runCli(['changes', 'poll', dir, '--cursor', page.cursor, '--json']);
    expect(again.json()).toMatchObject({ blocks: [], caught_up: true });
    const bad = await runCli(['changes', 'poll', dir, '--cursor', 'garbage', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ code: 'ChangeCursorRejected' });

    const out = join(dir, 'base.jsonl');
    const base = await runCli(['changes', 'baseline', dir, '--out', out, '--json']);
    expect(base.code).toBe(0);
    expect(base.json().baseline.snapshot_commit_id).toBe(c1);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
    const resumed = await runCli([
      'changes',
      'poll',
      dir,
      '--cursor',
      base.json().baseline.resume_cursor,
      '--json',
    ]);
    expect(resumed.json()).toMatchObject({ blocks: [], caught_up: true });
    // A baseline that fails leaves no file and prints no cursor.
    const missing = join(dir, 'nope', 'base.jsonl');
    const failed = await runCli(['changes', 'baseline', dir, '--out', missing, '--json']);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).not.toContain('resume_cursor');
    expect(existsSync(missing)).toBe(false);
  }, 120_000);
});
