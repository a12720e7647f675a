import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Repo } from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { rejection } from '../helpers/errors.js';

const tmp = useTmpDirs();

async function withRepo<T>(fn: (repo: Repo, dir: string) => Promise<T>): Promise<T> {
  const dir = join(tmp(), 'repo');
  const repo = await makeRepo(dir);
  try {
    return await fn(repo, dir);
  } finally {
    await repo.close();
  }
}

describe('transactions', () => {
  it('commits nodes and edges across tables atomically: one Lance version per table, one commit', async () => {
    await withRepo(async (repo) => {
      const before = repo.snapshot();
      const out = await repo.transaction(
        (tx) => {
          tx.insert('Person', {
            name: 'alice',
            age: 30,
            born: '1990-05-01',
            tags: ['a', 'b'],
            big: '9007199254740993',
            embedding: [1, 2, 3],
          });
          tx.insert('Person', { name: 'bob' });
          tx.insert('Company', { name: 'acme' });
          tx.link('Knows', 'alice', 'bob', { since: '2020-01-01' });
          tx.link('WorksAt', 'alice', 'acme');
          tx.link('Owns', 'acme', 'alice');
          return 'done';
        },
        { actor: 'tester' },
      );
      expect(out.value).toBe('done');
      expect(out.affectedNodes).toBe(3);
      expect(out.affectedEdges).toBe(3);
      const after = repo.snapshot();
      expect(after.manifestVersion).toBe(before.manifestVersion + 1);
      for (const m of out.tables) expect(m.to).toBe(m.from + 1);
      expect(out.tables.map((t) => t.tableKey).sort()).toEqual([
        'edge:Knows',
        'edge:Owns',
        'edge:WorksAt',
        'node:Company',
        'node:Person',
      ]);
      const alice = await repo.get('Person', 'alice');
      expect(alice).toMatchObject({
        id: 'alice',
        age: 30,
        tags: ['a', 'b'],
        big: 9007199254740993n,
      });
      expect((alice!.born as Date).toISOString()).toBe('1990-05-01T00:00:00.000Z');
      expect(repo.listCommits({ actor: 'tester' })).toHaveLength(1);
      expect((await repo.verify()).ok).toBe(true);
      // Time travel: the previous manifest version still reads empty.
      expect(await repo.scan('Person', { version: before.manifestVersion })).toEqual([]);
    });
  });

  it("reads see the transaction's own writes, including pending deletes", async () => {
    await withRepo(async (repo) => {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a', age: 10 });
        tx.insert('Person', { name: 'b', age: 20 });
      });
      await repo.transaction(async (tx) => {
        tx.insert('Person', { name: 'c', age: 30 });
        expect(
          (await tx.scan('Person', [{ column: 'age', op: '>=', value: 20 }]))
            .map((r) => r.id)
            .sort(),
        ).toEqual(['b', 'c']);
        expect(await tx.delete('Person', 'b')).toBe(true);
        expect(await tx.get('Person', 'b')).toBeNull();
        expect(await tx.update('Person', 'a', { age: 40 })).toBe(true);
        expect(
          (await tx.scan('Person', [{ column: 'age', op: '>=', value: 20 }]))
            .map((r) => r.id)
            .sort(),
        ).toEqual(['a', 'c']);
      });
      expect((await repo.scan('Person')).map((r) => [r.id, r.age]).sort()).toEqual([
        ['a', 40],
        ['c', 30],
      ]);
    });
  });

  it('upsert and delete of different rows in one operation are one Lance version', async () => {
    await withRepo(async (repo) => {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a' });
        tx.insert('Person', { name: 'b' });
      });
      const out = await repo.transaction(async (tx) => {
        tx.upsert('Person', { name: 'a', age: 5 });
        await tx.delete('Person', 'b');
        tx.insert('Person', { name: 'c' });
      });
      expect(out.tables).toHaveLength(1);
      expect(out.tables[0].to).toBe(out.tables[0].from + 1);
      expect((await repo.scan('Person')).map((r) => r.id).sort()).toEqual(['a', 'c']);
    });
  });

  it('unlink deletes one edge by id and refuses a node type', async () => {
    await withRepo(async (repo) => {
      const out = await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a' });
        tx.insert('Person', { name: 'b' });
        return tx.link('Knows', 'a', 'b');
      });
      await repo.transaction(async (tx) => {
        expect(await tx.unlink('Knows', out.value)).toBe(true);
        expect(await tx.unlink('Knows', 'nope')).toBe(false);
        await expect(tx.unlink('Person', 'a')).rejects.toMatchObject({ code: 'NotAnEdgeType' });
      });
      expect(await repo.scan('Knows')).toEqual([]);
    });
  });

  it('deleting a node deletes its edges in the same operation', async () => {
    await withRepo(async (repo) => {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a' });
        tx.insert('Person', { name: 'b' });
        tx.link('Knows', 'a', 'b');
        tx.link('Knows', 'b', 'a');
      });
      await repo.transaction(async (tx) => {
        await tx.delete('Person', 'a');
      });
      expect(await repo.scan('Knows')).toEqual([]);
      expect((await repo.scan('Person')).map((r) => r.id)).toEqual(['b']);
    });
  });

  const bad: Array<
    [
      string,
      (tx: import('../../src/index.js').Transaction) => unknown,
      { rule: string; field?: string },
    ]
  > = [
    [
      'wrong type',
      (tx) => tx.insert('Person', { name: 'x', age: 'old' }),
      { rule: 'type', field: 'age' },
    ],
    ['missing required', (tx) => tx.insert('Note', {}), { rule: 'required', field: 'text' }],
    [
      'unknown field',
      (tx) => tx.insert('Person', { name: 'x', shoe: 42 }),
      { rule: 'unknown_field', field: 'shoe' },
    ],
    [
      'range',
      (tx) => tx.insert('Person', { name: 'x', age: 200 }),
      { rule: 'range', field: 'age' },
    ],
    [
      'check',
      (tx) => tx.insert('Person', { name: 'x', email: 'nope' }),
      { rule: 'check', field: 'email' },
    ],
    [
      'enum',
      (tx) => tx.insert('Person', { name: 'x', level: 'ceo' }),
      { rule: 'enum', field: 'level' },
    ],
    [
      'vector dimension',
      (tx) => tx.insert('Person', { name: 'x', embedding: [1, 2] }),
      { rule: 'dimension', field: 'embedding' },
    ],
    [
      'bad date',
      (tx) => tx.insert('Person', { name: 'x', born: '2020-13-01' }),
      { rule: 'type', field: 'born' },
    ],
    [
      'I32 overflow',
      (tx) => tx.insert('Person', { name: 'x', age: 2 ** 40 }),
      { rule: 'type', field: 'age' },
    ],
    [
      'duplicate insert in one op',
      (tx) => {
        tx.insert('Person', { name: 'x' });
        tx.insert('Person', { name: 'x' });
      },
      { rule: 'key', field: 'name' },
    ],
    [
      'key already committed',
      (tx) => tx.insert('Person', { name: 'seed' }),
      { rule: 'key', field: 'name' },
    ],
    [
      'unique within the op',
      (tx) => {
        tx.insert('Person', { name: 'x', email: 'a@b' });
        tx.insert('Person', { name: 'y', email: 'a@b' });
      },
      { rule: 'unique', field: 'email' },
    ],
    [
      'unique against committed',
      (tx) => tx.insert('Person', { name: 'x', email: 'seed@x' }),
      { rule: 'unique', field: 'email' },
    ],
    [
      'missing endpoint',
      (tx) => tx.link('Knows', 'seed', 'ghost'),
      { rule: 'endpoint', field: 'to' },
    ],
    [
      'card max',
      (tx) => {
        tx.insert('Company', { name: 'c2' });
        tx.link('Owns', 'c2', 'seed');
        tx.link('WorksAt', 'seed', 'c2');
      },
      { rule: 'card' },
    ],
    [
      'card min (new node without its required edge)',
      (tx) => tx.insert('Company', { name: 'lonely' }),
      { rule: 'card' },
    ],
  ];

  it('rejects every broken rule with a typed ValidationError and changes nothing', async () => {
    await withRepo(async (repo, dir) => {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'seed', email: 'seed@x' });
        tx.insert('Company', { name: 'c1' });
        tx.link('Owns', 'c1', 'seed');
        tx.link('WorksAt', 'seed', 'c1');
      });
      const snap = repo.snapshot();
      for (const [name, stage, expected] of bad) {
        const err = await rejection(
          repo.transaction(async (tx) => {
            await stage(tx);
          }),
        );
        expect({
          name,
          code: err.code,
          rule: err.details.rule,
          ...(expected.field ? { field: err.details.field } : {}),
        }).toEqual({ name, code: 'ValidationError', ...expected });
        expect(typeof err.details.table).toBe('string');
      }
      expect(repo.snapshot().manifestVersion).toBe(snap.manifestVersion);
      expect(repo.journal.inFlightOperations()).toEqual([]);
      expect(
        existsSync(join(dir, '__recovery')) ? readdirSync(join(dir, '__recovery')) : [],
      ).toEqual([]);
      expect((await repo.verify()).ok).toBe(true);
    });
  });

  it('a stale expected version is refused before anything is written', async () => {
    await withRepo(async (repo, dir) => {
      const { Repo } = await import('../../src/index.js');
      const other = await Repo.open(dir);
      try {
        const err = await rejection(
          repo.transaction(async (tx) => {
            tx.insert('Person', { name: 'mine' });
            // Another writer publishes the same table while this one is staging.
            await other.transaction((t2) => {
              t2.insert('Person', { name: 'theirs' });
            });
          }),
        );
        expect(err.code).toBe('ExpectedVersionMismatch');
        expect((await repo.scan('Person')).map((r) => r.id)).toEqual(['theirs']);
        expect((await repo.verify()).ok).toBe(true);
      } finally {
        await other.close();
      }
    });
  });

  it('a write on a branch forks only the touched table and is invisible on main', async () => {
    await withRepo(async (repo) => {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'a' });
        tx.insert('Note', { text: 'n' });
      });
      repo.createBranch('feature/x');
      await repo.transaction(
        (tx) => {
          tx.insert('Person', { name: 'b' });
        },
        { branch: 'feature/x' },
      );
      expect((await repo.scan('Person', { branch: 'feature/x' })).map((r) => r.id).sort()).toEqual([
        'a',
        'b',
      ]);
      expect((await repo.scan('Person')).map((r) => r.id)).toEqual(['a']);
      const pins = repo.snapshot({ branch: 'feature/x' }).pins;
      const mainPins = repo.snapshot().pins;
      expect(pins.find((p) => p.tableKey === 'node:Person')!.lanceBranch).not.toBeNull();
      expect(pins.find((p) => p.tableKey === 'node:Note')).toEqual(
        mainPins.find((p) => p.tableKey === 'node:Note'),
      );
      await repo.transaction(
        (tx) => {
          tx.insert('Person', { name: 'c' });
        },
        { branch: 'feature/x' },
      );
      expect((await repo.scan('Person', { branch: 'feature/x' })).map((r) => r.id).sort()).toEqual([
        'a',
        'b',
        'c',
      ]);
      expect((await repo.verify()).ok).toBe(true);
      await repo.deleteBranch('feature/x');
      expect((await repo.verify()).ok).toBe(true);
    });
  });
});
