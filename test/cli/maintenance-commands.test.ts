/** `schema plan`, `optimize`, `cleanup` through the real CLI (child processes). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const V1 = 'node Person {\n  name: String @key\n  age: I32?\n}\n';
const V2 = 'node Person {\n  name: String @key\n  age: I64? @range(0..120)\n  bio: String?\n}\n';

async function repoWithCommits(n: number): Promise<string> {
  const dir = join(tmp(), 'r');
  await Repo.init(dir, { schemaSource: V1, schemaFile: 'v1.pg' });
  const repo = await Repo.open(dir);
  for (let i = 0; i < n; i++)
    await repo.transaction((tx) => {
      tx.insert('Person', { name: `p${i}`, age: i });
      return Promise.resolve();
    });
  await repo.close();
  return dir;
}

describe('lancelog schema plan / optimize / cleanup', () => {
  it('schema plan lists the steps with their safety and changes nothing', async () => {
    const repo = await repoWithCommits(0);
    const v2 = join(tmp(), 'v2.pg');
    writeFileSync(v2, V2);
    const r = await runCli(['schema', 'plan', '--schema', v2, repo, '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      unchanged: false,
      unsupported: false,
      needsValidation: true,
      steps: [
        { kind: 'WidenProperty', safety: 'safe', property: 'age' },
        { kind: 'AddProperty', safety: 'safe', property: 'bio' },
        { kind: 'AddRange', safety: 'needs-validation', property: 'age' },
      ],
    });
    const human = await runCli(['schema', 'plan', '--schema', v2, repo]);
    expect(human.stdout).toContain('widen age from I32 to I64');
    const missing = await runCli([
      'schema',
      'plan',
      '--schema',
      join(tmp(), 'nope.pg'),
      repo,
      '--json',
    ]);
    expect(missing.json()).toMatchObject({ code: 'FileNotFound' });
    // The repo still opens with its own schema (nothing changed).
    const show = await runCli(['schema', 'show', repo]);
    expect(show.stdout).toContain('age: I32?');
  });

  it('optimize compacts, cleanup previews then removes; bad flags are usage errors', async () => {
    const repo = await repoWithCommits(5);
    const opt = await runCli(['optimize', repo, '--json']);
    expect(opt.code).toBe(0);
    expect(opt.json().tables[0]).toMatchObject({
      tableKey: 'node:Person',
      fragmentsBefore: 5,
      fragmentsAfter: 1,
    });
    const preview = await runCli(['cleanup', '--keep', '1', repo, '--json']);
    expect(preview.code).toBe(0);
    expect(preview.json()).toMatchObject({ confirmed: false, keep: 1 });
    const removable = preview.json().tables[0].versionsRemoved as number[];
    const done = await runCli(['cleanup', '--keep', '1', '--confirm', repo, '--json']);
    expect(done.code).toBe(0);
    expect(done.json().confirmed).toBe(true);
    // What the preview listed is what a cleanup right after it may remove at most.
    for (const v of done.json().tables[0].versionsRemoved as number[])
      expect(removable).toContain(v);
    const verify = await runCli(['journal', 'verify', repo, '--json']);
    expect(verify.json()).toMatchObject({ ok: true });
    for (const bad of [
      ['cleanup', '--keep', '0', repo],
      ['cleanup', '--keep', '1', '--older-than', '7 days', repo],
    ]) {
      const r = await runCli([...bad, '--json']);
      expect(r.code).toBe(2);
      expect(r.json()).toMatchObject({ code: 'UsageError' });
    }
  });
});
