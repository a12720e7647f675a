import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runChild } from '../helpers/crash.js';
import { runCli } from '../helpers/cli.js';

const tmp = useTmpDirs();

describe('lancelog recover / recovery list', () => {
  it('plans with --dry-run (changing nothing), recovers, and lists the audit', async () => {
    const dir = join(tmp(), 'repo');
    const repo = await makeRepo(
      dir,
      'node Person { name: String @key }\nnode Note { text: String @key }',
    );
    await repo.close();
    const crash = await runChild(
      {
        repo: dir,
        action: 'insert',
        rows: [
          { type: 'Person', data: { name: 'b' } },
          { type: 'Note', data: { text: 'b' } },
        ],
      },
      'write.before_publish=crash',
    );
    expect(crash.signal).toBe('SIGKILL');

    const plan = await runCli(['recover', '--dry-run', '--json', dir]);
    expect(plan.code).toBe(0);
    const planned = plan.json();
    expect(planned.dryRun).toBe(true);
    expect(planned.operations).toHaveLength(1);
    expect(planned.operations[0]).toMatchObject({
      decision: 'RollForward',
      status: 'planned',
      owner: 'dead',
    });
    expect(planned.operations[0].tables.map((t: { class: string }) => t.class)).toEqual([
      'RolledPastExpected',
      'RolledPastExpected',
    ]);
    const text = await runCli(['recover', '--dry-run', dir]);
    expect(text.stdout).toContain('decision: RollForward');
    expect(text.stdout).toContain('would publish node:Note');

    const applied = (await runCli(['recover', '--json', dir])).json();
    expect(applied.operations[0]).toMatchObject({ decision: 'RollForward', status: 'applied' });
    expect((await runCli(['recover', dir])).stdout.trim()).toBe('nothing to recover');

    const audit = (await runCli(['recovery', 'list', '--json', dir])).json();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      decision: 'RollForward',
      originalActor: 'child',
      writerKind: 'Mutation',
    });
    const { commits } = (
      await runCli(['commit', 'list', '--filter', 'actor=lancelog:recovery', '--json', dir])
    ).json();
    expect(commits.map((c: { id: string }) => c.id)).toEqual([audit[0].commitId]);
  });
});
