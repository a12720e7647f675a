/**
 * Inserts as appends (docs/writes.md §Inserts as appends): a table whose every staged
 * row is known absent at the pin commits with Lance `add`; one whose rows may exist
 * keeps `mergeInsert`; a duplicate id is never committed. Real Lance tables and a real
 * journal; the store's handles are observed (which commit method ran), not replaced.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import type { Transaction } from '../../src/write/transaction.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { rejection } from '../helpers/errors.js';

const tmp = useTmpDirs();

const PG = `
node Person { name: String @key
  age: I32? }
node Note { text: String }
edge Knows: Person -> Person
`;

type Method = 'append' | 'mergeInsert';

/** Records, per table key, which commit method each Lance commit of `repo` used. */
function observeCommits(repo: Repo): Array<{ table: string; method: Method }> {
  const seen: Array<{ table: string; method: Method }> = [];
  const store = repo.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const observed = new WeakSet<object>();
  for (const name of ['openTable', 'writerAt']) {
    const orig = store[name].bind(repo.store);
    store[name] = async (...args: unknown[]) => {
      const h = (await orig(...args)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
      if (!observed.has(h)) {
        observed.add(h);
        for (const method of ['append', 'mergeInsert'] as const) {
          const m = h[method].bind(h);
          h[method] = (...a: unknown[]) => {
            seen.push({ table: String(args[0]), method });
            return m(...a);
          };
        }
      }
      return h;
    };
  }
  return seen;
}

async function withRepo(fn: (repo: Repo, dir: string) => Promise<void>): Promise<void> {
  const dir = join(tmp(), 'repo');
  const repo = await makeRepo(dir, PG);
  try {
    await repo.transaction((tx) => {
      for (const name of ['a', 'b', 'c']) tx.insert('Person', { name, age: 1 });
      tx.insert('Note', { id: 'n1', text: 'x' });
    });
    await fn(repo, dir);
  } finally {
    await repo.close();
  }
}

/** Every row of a type, and whether an id appears twice (a duplicate row). */
async function rowsOf(repo: Repo, type: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await repo.scan(type);
  const out = new Map(rows.map((r) => [String(r.id), r]));
  expect(out.size, `${type} has a duplicate id`).toBe(rows.length);
  return out;
}

/** The commit methods one transaction used, by table key. */
async function methodsOf(
  repo: Repo,
  seen: Array<{ table: string; method: Method }>,
  body: (tx: Transaction) => unknown,
): Promise<Record<string, Method>> {
  seen.length = 0;
  await repo.transaction(body);
  return Object.fromEntries(seen.map((s) => [s.table, s.method]));
}

type Step = { op: 'insert' | 'upsert' | 'update' | 'delete'; key: string; age: number };

/**
 * Applies one transaction's steps to `next` (the rows before it, `before`) with
 * staging's semantics; returns whether the transaction is refused. An insert of a key
 * the transaction already staged fails at once; one of a committed key fails at
 * validation — unless the transaction deleted that key first (then it replaces the
 * row) or deletes it afterwards (then the row is simply gone).
 */
function modelTransaction(
  before: Map<string, number | null>,
  next: Map<string, number | null>,
  steps: Step[],
): boolean {
  const staged = new Set<string>();
  const deleted = new Set<string>();
  const clashing = new Set<string>();
  for (const s of steps) {
    if (s.op === 'insert') {
      if (staged.has(s.key)) return true;
      if (before.has(s.key) && !deleted.has(s.key)) clashing.add(s.key);
    } else if (s.op === 'update' && !next.has(s.key)) continue;
    else if (s.op === 'delete') {
      if (!next.has(s.key)) continue;
      next.delete(s.key);
      staged.delete(s.key);
      clashing.delete(s.key);
      deleted.add(s.key);
      continue;
    }
    staged.add(s.key);
    next.set(s.key, s.age);
  }
  return clashing.size > 0;
}

describe('inserts as appends', () => {
  it('an upsert of a key absent at the pin appends; of a present key merges', async () => {
    await withRepo(async (repo) => {
      const seen = observeCommits(repo);
      expect(await methodsOf(repo, seen, (tx) => tx.upsert('Person', { name: 'new1' }))).toEqual({
        'node:Person': 'append',
      });
      expect(
        await methodsOf(repo, seen, (tx) => tx.upsert('Person', { name: 'a', age: 9 })),
      ).toEqual({ 'node:Person': 'mergeInsert' });
      // The key just appended is present now: upserting it again merges.
      expect(await methodsOf(repo, seen, (tx) => tx.upsert('Person', { name: 'new1' }))).toEqual({
        'node:Person': 'mergeInsert',
      });
      const people = await rowsOf(repo, 'Person');
      expect([...people.keys()].sort()).toEqual(['a', 'b', 'c', 'new1']);
      expect(people.get('a')?.age).toBe(9);
    });
  });

  it('node + edge insert of new keys: both tables append', async () => {
    await withRepo(async (repo) => {
      const seen = observeCommits(repo);
      const methods = await methodsOf(repo, seen, (tx) => {
        tx.insert('Person', { name: 'd' });
        tx.link('Knows', 'd', 'a');
      });
      expect(methods).toEqual({ 'node:Person': 'append', 'edge:Knows': 'append' });
    });
  });

  it('an upsert mixed with inserts: appends only when the upserted key is absent too', async () => {
    await withRepo(async (repo) => {
      const seen = observeCommits(repo);
      const mixedNew = await methodsOf(repo, seen, (tx) => {
        tx.insert('Person', { name: 'e' });
        tx.upsert('Person', { name: 'f' });
      });
      expect(mixedNew).toEqual({ 'node:Person': 'append' });
      const mixedOld = await methodsOf(repo, seen, (tx) => {
        tx.insert('Person', { name: 'g' });
        tx.upsert('Person', { name: 'b', age: 5 });
      });
      expect(mixedOld).toEqual({ 'node:Person': 'mergeInsert' });
      const people = await rowsOf(repo, 'Person');
      expect([...people.keys()].sort()).toEqual(['a', 'b', 'c', 'e', 'f', 'g']);
      expect(people.get('b')?.age).toBe(5);
    });
  });

  it('a key deleted and re-inserted in one transaction merges and stays one row', async () => {
    await withRepo(async (repo) => {
      const seen = observeCommits(repo);
      const methods = await methodsOf(repo, seen, async (tx) => {
        await tx.delete('Person', 'a');
        tx.insert('Person', { name: 'a', age: 77 });
      });
      expect(methods['node:Person']).toBe('mergeInsert');
      const people = await rowsOf(repo, 'Person');
      expect(people.size).toBe(3);
      expect(people.get('a')?.age).toBe(77);
    });
  });

  it('an update of a committed row merges without an absence lookup', async () => {
    await withRepo(async (repo) => {
      const seen = observeCommits(repo);
      const methods = await methodsOf(repo, seen, async (tx) => {
        await tx.update('Person', 'c', { age: 3 });
      });
      expect(methods).toEqual({ 'node:Person': 'mergeInsert' });
      expect((await repo.get('Person', 'c'))?.age).toBe(3);
    });
  });

  it('a duplicate of a committed key is refused and changes nothing', async () => {
    await withRepo(async (repo) => {
      const before = repo.snapshot();
      const err = await rejection(repo.transaction((tx) => tx.insert('Person', { name: 'a' })));
      expect(err).toMatchObject({ code: 'ValidationError' });
      expect(repo.snapshot().commitId).toBe(before.commitId);
      expect((await rowsOf(repo, 'Person')).size).toBe(3);
    });
  });

  it('a duplicate within the write is refused (insert twice), an upsert twice keeps the last', async () => {
    await withRepo(async (repo) => {
      const err = await rejection(
        repo.transaction((tx) => {
          tx.insert('Person', { name: 'z' });
          tx.insert('Person', { name: 'z' });
        }),
      );
      expect(err).toMatchObject({ code: 'ValidationError' });
      const seen = observeCommits(repo);
      const methods = await methodsOf(repo, seen, (tx) => {
        tx.upsert('Person', { name: 'z', age: 1 });
        tx.upsert('Person', { name: 'z', age: 2 });
      });
      expect(methods).toEqual({ 'node:Person': 'append' });
      const people = await rowsOf(repo, 'Person');
      expect(people.get('z')?.age).toBe(2);
    });
  });

  it('the append itself refuses rows that repeat an id (the last line of defence)', async () => {
    await withRepo(async (repo) => {
      const snap = repo.snapshot();
      const pin = repo.pinOf(snap, 'node:Note');
      const handle = await repo.store.openTable('node:Note', repo.typeDef('Note').tablePath);
      try {
        const err = await rejection(
          handle.append([
            { id: 'n2', text: 'x' },
            { id: 'n2', text: 'y' },
          ]),
        );
        expect(err).toMatchObject({ code: 'DuplicateIds' });
        expect(await handle.version()).toBe(pin.version);
      } finally {
        handle.close();
      }
    });
  });

  it('property: inserts of new and existing keys, upserts, updates and deletes in one transaction match a model', async () => {
    const dir = join(tmp(), 'prop');
    const repo = await makeRepo(dir, PG);
    const model = new Map<string, number | null>();
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    const step = fc.oneof(
      fc.record({
        op: fc.constant('insert' as const),
        key: fc.constantFrom(...keys),
        age: fc.nat(99),
      }),
      fc.record({
        op: fc.constant('upsert' as const),
        key: fc.constantFrom(...keys),
        age: fc.nat(99),
      }),
      fc.record({
        op: fc.constant('update' as const),
        key: fc.constantFrom(...keys),
        age: fc.nat(99),
      }),
      fc.record({
        op: fc.constant('delete' as const),
        key: fc.constantFrom(...keys),
        age: fc.constant(0),
      }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
          // The model of one transaction, from the rows before it: an insert of a present
          // key fails the whole of it.
          const ages = async () =>
            new Map(
              [...(await rowsOf(repo, 'Person'))].map(([k, r]) => [k, (r.age as number) ?? null]),
            );
          const next = await ages();
          const before = new Map(next);
          const refused = modelTransaction(before, next, steps);
          const head = repo.snapshot().commitId;
          const run = repo.transaction(async (tx) => {
            for (const s of steps) {
              if (s.op === 'insert') tx.insert('Person', { name: s.key, age: s.age });
              else if (s.op === 'upsert') tx.upsert('Person', { name: s.key, age: s.age });
              else if (s.op === 'update') await tx.update('Person', s.key, { age: s.age });
              else await tx.delete('Person', s.key);
            }
          });
          if (refused) {
            expect(await rejection(run)).toMatchObject({ code: 'ValidationError' });
            expect(repo.snapshot().commitId).toBe(head);
            expect(await ages()).toEqual(before);
          } else {
            await run;
            expect(await ages()).toEqual(next);
          }
          model.clear();
          for (const [k, v] of await ages()) model.set(k, v);
        }),
        { numRuns: 40, seed: 33 },
      );
      // Durable: a fresh open sees the same rows.
      await repo.close();
      const reopened = await Repo.open(dir);
      try {
        const rows = await rowsOf(reopened, 'Person');
        expect(new Map([...rows].map(([k, r]) => [k, r.age ?? null]))).toEqual(model);
      } finally {
        await reopened.close();
      }
    } finally {
      await repo.close().catch(() => undefined);
    }
  });
});
