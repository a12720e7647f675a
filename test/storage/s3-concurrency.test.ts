/**
 * Several writer processes on one machine over one S3 repo (tables on a real S3 server
 * on 127.0.0.1, the SQLite journal local), and the S3 server restarted in the middle of
 * a write. Several machines need the PostgreSQL journal (docs/deployment.md), not here.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { runChild, startChild } from '../helpers/crash.js';
import { useS3Server } from '../helpers/s3.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const s3 = useS3Server();

const SCHEMA = `
node Person { name: String @key }
node Note { text: String @key }
node Tag { name: String @key }
`;

async function seeded(): Promise<string> {
  const dir = join(tmp(), 'journal');
  await Repo.init(s3().newUri('concurrency'), {
    schemaSource: SCHEMA,
    schemaFile: 's.pg',
    journal: dir,
  });
  return dir;
}

interface ChildOutcome {
  ok: boolean;
  code?: string;
}

function outcomeOf(r: { stdout: string; stderr: string }): ChildOutcome {
  try {
    return JSON.parse(r.stdout) as ChildOutcome;
  } catch {
    throw new Error(`child printed no outcome: ${r.stdout} ${r.stderr.slice(0, 500)}`);
  }
}

describe('several writer processes over one S3 repo (one machine)', () => {
  it('a race on one key: exactly one winner, the others get typed conflicts, 0 lost, 0 phantoms', async () => {
    const dir = await seeded();
    const writers = ['w1', 'w2', 'w3'];
    const results = await Promise.all(
      writers.map((w) =>
        runChild({
          repo: dir,
          action: 'insert',
          rows: [
            { type: 'Person', data: { name: 'same' } },
            { type: 'Note', data: { text: w } },
          ],
        }),
      ),
    );
    const outcomes = results.map(outcomeOf);
    const winners = writers.filter((_, i) => outcomes[i].ok);
    expect(winners).toHaveLength(1);
    for (const o of outcomes.filter((x) => !x.ok))
      // Raced (a lease held, a pin moved) or serialised after the winner (the key exists).
      expect(o.code).toMatch(/^(LeaseHeld|ExpectedVersionMismatch|ValidationError)$/);
    const repo = await Repo.open(dir);
    try {
      expect((await repo.scan('Person')).map((r) => r.id)).toEqual(['same']);
      // The winner's note is there (0 lost), no loser's (0 phantoms).
      expect((await repo.scan('Note')).map((r) => r.id)).toEqual(winners);
      expect((await repo.verify()).differences).toEqual([]);
      expect(repo.journal.listLeases()).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('writes to disjoint tables all succeed, each exactly once', async () => {
    const dir = await seeded();
    const types = [
      ['Person', 'name'],
      ['Note', 'text'],
      ['Tag', 'name'],
    ] as const;
    const results = await Promise.all(
      types.map(([type, key]) =>
        runChild({
          repo: dir,
          action: 'insert',
          rows: [1, 2].map((i) => ({ type, data: { [key]: `${type}-${i}` } })),
        }),
      ),
    );
    expect(results.map((r) => outcomeOf(r).ok)).toEqual([true, true, true]);
    const repo = await Repo.open(dir);
    try {
      for (const [type] of types)
        expect((await repo.scan(type)).map((r) => r.id).sort()).toEqual([`${type}-1`, `${type}-2`]);
      expect((await repo.verify()).differences).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('the S3 server restarted while a writer waits to commit: the write completes, nothing acknowledged is lost', async () => {
    const dir = await seeded();
    const before = await Repo.open(dir);
    await before.transaction((tx) => tx.insert('Person', { name: 'acked-before' }));
    await before.close();
    // The writer holds its leases 3 s before its Lance commit; the server goes down and
    // comes back (same port, same objects) in that window.
    const child = startChild(
      {
        repo: dir,
        action: 'insert',
        rows: [{ type: 'Person', data: { name: 'during' } }],
      },
      'write.before_table_commit=delay:3000',
    );
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 600; i++) {
      const ro = await Repo.open(dir, { readOnly: true });
      const held = ro.journal.listLeases().length > 0;
      await ro.close();
      if (held) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await s3().restart();
    expect(await exited).toBe(0);
    // The commit went to the restarted server (its counts start at zero).
    expect(s3().server.counts.PUT).toBeGreaterThan(0);
    expect(outcomeOf({ stdout, stderr: '' }).ok).toBe(true);
    const repo = await Repo.open(dir);
    try {
      expect((await repo.scan('Person')).map((r) => r.id).sort()).toEqual([
        'acked-before',
        'during',
      ]);
      expect((await repo.verify()).differences).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('the S3 server down during a write: a typed error, then recovery with the server back; nothing acknowledged lost, nothing of the failed write visible', async () => {
    const dir = await seeded();
    const before = await Repo.open(dir);
    await before.transaction((tx) => tx.insert('Person', { name: 'acked-before' }));
    await before.close();
    // Few attempts per request, so the writer gives up while the server is down.
    const saved = process.env.AWS_MAX_ATTEMPTS;
    process.env.AWS_MAX_ATTEMPTS = '2';
    let child;
    try {
      child = startChild(
        {
          repo: dir,
          action: 'insert',
          rows: [
            { type: 'Person', data: { name: 'lost' } },
            { type: 'Note', data: { text: 'lost' } },
          ],
        },
        'write.before_table_commit=delay:3000',
      );
    } finally {
      if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS;
      else process.env.AWS_MAX_ATTEMPTS = saved;
    }
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 600; i++) {
      const ro = await Repo.open(dir, { readOnly: true });
      const held = ro.journal.listLeases().length > 0;
      await ro.close();
      if (held) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await s3().stop();
    try {
      expect(await exited).toBe(1);
    } finally {
      await s3().start();
    }
    const failed = outcomeOf({ stdout, stderr: '' });
    expect(failed.ok).toBe(false);
    expect(failed.code).toMatch(/^(StorageFailure|ObjectStoreFailure)$/);
    const repo = await Repo.open(dir);
    try {
      expect((await repo.scan('Person')).map((r) => r.id)).toEqual(['acked-before']);
      expect((await repo.scan('Note')).map((r) => r.id)).toEqual([]);
      expect(repo.pendingRecovery()).toEqual([]);
      expect((await repo.verify()).differences).toEqual([]);
      await repo.transaction((tx) => tx.insert('Person', { name: 'after' }));
    } finally {
      await repo.close();
    }
  });
});
