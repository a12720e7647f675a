/**
 * Conditional writes (`--if-commit`, `ifCommit`): a write runs only if the branch head is
 * still the commit the caller read. Checked before anything is journaled, and again
 * atomically in the publish transaction, so a write that lost the race to another
 * writer publishes nothing (its tables are put back at their pins).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo, loadJsonl } from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const tmp = useTmpDirs();
const PG = 'node Person { name: String @key  age: I32? }\nnode Note { text: String }\n';
const GQ = 'query add($name: String) { insert Person { name: $name } }\n';

describe('conditional writes', () => {
  it('run only on the commit named; a stale one is PreconditionFailed and journals nothing', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      const head = repo.snapshot().commitId;
      const ok = await repo.change({
        source: GQ,
        file: 'q.gq',
        name: 'add',
        params: { name: 'ann' },
        ifCommit: head,
      });
      expect(ok.commitId).toBe(repo.snapshot().commitId);
      const events = repo.journal.listEvents().length;
      const err = await repo
        .change({ source: GQ, file: 'q.gq', name: 'add', params: { name: 'bob' }, ifCommit: head })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'PreconditionFailed',
        details: { branch: 'main', expected: head, actual: ok.commitId },
      });
      expect(repo.journal.listEvents().length).toBe(events);
      expect((await repo.scan('Person')).map((r) => r.name)).toEqual(['ann']);
      // A load, too; a change that changes nothing returns a null commit.
      const data = join(repo.dir, 'more.jsonl');
      writeFileSync(data, '{"type":"Note","data":{"text":"x"}}\n');
      await expect(
        loadJsonl(repo.operationContext(), { path: data }, { mode: 'append', ifCommit: head }),
      ).rejects.toMatchObject({ code: 'PreconditionFailed' });
      const loaded = await loadJsonl(
        repo.operationContext(),
        { path: data },
        {
          mode: 'append',
          ifCommit: ok.commitId!,
        },
      );
      expect(loaded.commitId).toBe(repo.snapshot().commitId);
      const none = await repo.transaction(() => undefined, { ifCommit: loaded.commitId! });
      expect(none.commitId).toBeNull();
    } finally {
      await repo.close();
    }
  });

  it('a writer that loses the race after staging publishes nothing; its tables go back to their pins', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, PG);
    const other = await Repo.open(dir);
    try {
      const head = repo.snapshot().commitId;
      const err = await repo
        .transaction(
          async (tx) => {
            tx.insert('Person', { name: 'late' });
            // Another writer commits to another table while this one is staging.
            await other.transaction((t) => void t.insert('Note', { text: 'first' }));
          },
          { ifCommit: head },
        )
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PreconditionFailed', details: { expected: head } });
      expect(await repo.scan('Person')).toEqual([]);
      expect((await repo.verify()).ok).toBe(true);
      const op = repo.journal.listEvents({ kind: 'op.failed' }).at(-1)!;
      expect(op.payload).toMatchObject({ error: { code: 'PreconditionFailed' } });
    } finally {
      await other.close();
      await repo.close();
    }
  });

  it('lancelog change --if-commit: exit 4 with the structured precondition_failure body', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir, PG);
    const head = repo.snapshot().commitId;
    await repo.transaction((tx) => void tx.insert('Note', { text: 'moved' }));
    const actual = repo.snapshot().commitId;
    await repo.close();
    const q = join(dir, 'q.gq');
    writeFileSync(q, GQ);
    const args = ['change', dir, '--query', q, '--name', 'add', '--params', '{"name":"ann"}'];
    const lost = await runCli([...args, '--if-commit', head, '--json']);
    expect(lost.code).toBe(4);
    expect(lost.json()).toMatchObject({
      code: 'PreconditionFailed',
      precondition_failure: { expected: head, actual },
    });
    const won = await runCli([...args, '--if-commit', actual, '--json']);
    expect(won.code).toBe(0);
    expect(won.json().commitId).toMatch(/^[0-9A-Z]{26}$/);
  });
});
