/**
 * Per-commit changes and the change feed (src/repo/changes.ts): exact images in the
 * frozen order, filters, pages, physical-only and parentless commits, schema
 * boundaries, cursors and their refusals, the cleanup gap; and the proofs: replaying
 * the feed from `beginning` reproduces the branch's export, and diff(A, C) is the
 * composition of the commit changes from A to C.
 */
import { Writable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { CUTOFF_MARGIN_MS } from '../../src/write/maintenance/cleanup-policy.js';
import { describe, expect, it } from 'vitest';
import {
  commitChanges,
  exportJsonl,
  pollChanges,
  stringifyJsonExact,
  type EntityChange,
  type PollOptions,
  type Repo,
} from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const PG = `
node Person { name: String @key  age: I32?  big: I64? }
node Note { text: String }
edge Knows: Person -> Person { since: I32? }
`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every block from `start` to the head, through pages of `limit` changes. */
async function replay(repo: Repo, opts: PollOptions, limit = 3) {
  const blocks: Array<{ commit: string; changes: EntityChange[] }> = [];
  let args: PollOptions = { ...opts, limit };
  for (;;) {
    const page = await pollChanges(repo, args);
    for (const b of page.blocks) {
      const last = blocks[blocks.length - 1];
      if (last?.commit === b.cause.graphCommitId) last.changes.push(...b.changes);
      else blocks.push({ commit: b.cause.graphCommitId, changes: [...b.changes] });
    }
    const base = { ...opts, start: undefined, cursor: undefined, limit };
    if (page.nextPageToken) args = { ...base, pageToken: page.nextPageToken };
    else if (!page.caughtUp) args = { ...base, cursor: page.cursor! };
    else return { blocks, cursor: page.cursor!, caughtUp: page.caughtUp };
  }
}

async function exported(repo: Repo, branch = 'main'): Promise<string[]> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  await exportJsonl(repo, sink, { branch });
  return text.split('\n').filter(Boolean).sort();
}

/** The graph a sequence of blocks builds, as export lines (nulls left out, edges without ids). */
function linesOf(repo: Repo, blocks: Array<{ changes: EntityChange[] }>): string[] {
  const state = new Map<string, EntityChange['after']>();
  for (const b of blocks)
    for (const c of b.changes) {
      const key = `${c.kind}\0${c.type.name}\0${c.id}`;
      expect(state.has(key)).toBe(c.op !== 'insert');
      if (c.op === 'delete') state.delete(key);
      else state.set(key, c.after);
    }
  const lines: string[] = [];
  for (const [key, img] of state) {
    const [kind, type, id] = key.split('\0');
    const data: Record<string, unknown> = {};
    const def = repo.typeDef(type);
    if (kind === 'node' && def.constraints.key.length === 0) data.id = id;
    for (const p of def.properties)
      if (img!.properties[p.name] !== null) data[p.name] = img!.properties[p.name];
    lines.push(
      kind === 'node'
        ? stringifyJsonExact({ type, data })
        : stringifyJsonExact({
            edge: type,
            from: img!.endpoints!.from,
            to: img!.endpoints!.to,
            data,
          }),
    );
  }
  return lines.sort();
}

async function randomHistory(repo: Repo, seed: number, commits: number): Promise<string[]> {
  const rand = rng(seed);
  const ids: string[] = [repo.snapshot().commitId];
  for (let i = 0; i < commits; i++) {
    const live = (await repo.scan('Person')).map((r) => String(r.name));
    const edges = (await repo.scan('Knows')).map((r) => String(r.id));
    const r = await repo.transaction(async (tx) => {
      for (let j = 0; j < 1 + Math.floor(rand() * 5); j++) {
        const name = `p${Math.floor(rand() * 12)}`;
        const x = rand();
        if (!live.includes(name)) {
          tx.insert('Person', { name, age: Math.floor(rand() * 4), big: 2n ** 60n + BigInt(j) });
          live.push(name);
        } else if (x < 0.35) await tx.update('Person', name, { age: Math.floor(rand() * 4) });
        else if (x < 0.5 && live.length > 2) {
          await tx.delete('Person', name);
          live.splice(live.indexOf(name), 1);
        } else if (x < 0.75)
          tx.link('Knows', name, live[Math.floor(rand() * live.length)], { since: j });
        else if (x < 0.85 && edges.length > 0) await tx.unlink('Knows', edges.pop()!);
        else tx.insert('Note', { text: `n${i}-${j}` });
      }
    });
    if (r.commitId) ids.push(r.commitId);
    if (i === 4) {
      await repo.optimize();
      ids.push(repo.snapshot().commitId);
    }
  }
  return ids;
}

describe('commit changes', () => {
  it('exact images in the frozen order; filters; pages; empty physical-only and parentless commits', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      const c1 = await repo.transaction((tx) => {
        tx.insert('Person', { name: 'bob', age: 40 });
        tx.insert('Person', { name: 'ann', age: 30, big: 2n ** 62n });
        tx.insert('Note', { text: 'hi' });
      });
      const c2 = await repo.transaction(async (tx) => {
        await tx.update('Person', 'ann', { age: 31 });
        await tx.delete('Person', 'bob');
        tx.link('Knows', 'ann', 'ann', { since: 2020 });
      });
      const p = await commitChanges(repo, c2.commitId!);
      expect(p.cause).toMatchObject({
        graphCommitId: c2.commitId,
        parentCommitId: c1.commitId,
        mergedParentCommitId: null,
        authoredBranch: 'main',
        actorId: expect.any(String),
      });
      const person = repo.typeDef('Person');
      expect(
        p.changes.map((c) => [
          c.kind,
          c.type.name,
          c.id === 'ann' || c.id === 'bob' ? c.id : 'E',
          c.op,
        ]),
      ).toEqual([
        ['node', 'Person', 'ann', 'update'],
        ['node', 'Person', 'bob', 'delete'],
        ['edge', 'Knows', 'E', 'insert'],
      ]);
      expect(p.changes[0].type.id).toBe(person.typeId);
      expect(p.changes[0].before).toEqual({ properties: { name: 'ann', age: 30, big: 2n ** 62n } });
      expect(p.changes[0].after).toEqual({ properties: { name: 'ann', age: 31, big: 2n ** 62n } });
      expect(p.changes[1]).not.toHaveProperty('after');
      expect(p.changes[1].before).toEqual({ properties: { name: 'bob', age: 40, big: null } });
      expect(p.changes[2]).not.toHaveProperty('before');
      expect(p.changes[2].after).toEqual({
        properties: { since: 2020 },
        endpoints: { from: 'ann', to: 'ann' },
      });
      expect(p.nextPageToken).toBeNull();
      // Filters select graph concepts; pages continue with a token.
      const edges = await commitChanges(repo, c2.commitId!, { filter: { kinds: ['edge'] } });
      expect(edges.changes.map((c) => c.op)).toEqual(['insert']);
      const del = await commitChanges(repo, c2.commitId!, {
        filter: { ops: ['delete'], types: ['Person'] },
      });
      expect(del.changes.map((c) => c.id)).toEqual(['bob']);
      const one = await commitChanges(repo, c2.commitId!, { limit: 1 });
      expect(one.changes.map((c) => c.id)).toEqual(['ann']);
      const two = await commitChanges(repo, c2.commitId!, {
        limit: 1,
        pageToken: one.nextPageToken!,
      });
      expect(two.changes.map((c) => c.id)).toEqual(['bob']);
      await expect(
        commitChanges(repo, c1.commitId!, { limit: 1, pageToken: one.nextPageToken! }),
      ).rejects.toMatchObject({ code: 'ChangeCursorRejected' });
      await expect(
        commitChanges(repo, c2.commitId!, {
          filter: { kinds: ['node'] },
          pageToken: one.nextPageToken!,
        }),
      ).rejects.toMatchObject({ code: 'ChangeCursorRejected' });
      // A physical-only commit is an empty block; the initial commit has no parent.
      for (let i = 0; i < 3; i++)
        await repo.transaction((tx) => void tx.insert('Note', { text: `n${i}` }));
      await repo.optimize();
      const opt = repo.snapshot().commitId;
      expect(repo.journal.getOperation(repo.journal.getCommit(opt).opId).kind).toBe('Optimize');
      expect((await commitChanges(repo, opt)).changes).toEqual([]);
      const genesis = repo.journal.listCommits({ branch: 'main' }).at(-1)!.id;
      await expect(commitChanges(repo, genesis)).rejects.toMatchObject({
        code: 'ParentlessCommit',
        details: { reason: 'parentless_commit' },
      });
      await expect(
        commitChanges(repo, c2.commitId!, { filter: { types: ['Nope'] } }),
      ).rejects.toMatchObject({
        code: 'UnknownType',
      });
    } finally {
      await repo.close();
    }
  });

  it('refuses a commit across a column change (schema_boundary)', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      await repo.transaction((tx) => void tx.insert('Note', { text: 'a' }));
      const r = await repo.applySchema(
        PG.replace('text: String', 'text: String  mood: String?'),
        'next.pg',
      );
      await expect(commitChanges(repo, r.commitId!)).rejects.toMatchObject({
        code: 'SchemaBoundary',
        details: { reason: 'schema_boundary', table_key: 'node:Note' },
      });
    } finally {
      await repo.close();
    }
  });
});

describe('the change feed', () => {
  it('replaying the feed from beginning reproduces the export; diff(A, C) composes the commit changes', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      const ids = await randomHistory(repo, 11, 10);
      const all = await replay(repo, { start: 'beginning' });
      expect(all.caughtUp).toBe(true);
      expect(all.blocks.map((b) => b.commit)).toEqual(ids.slice(1));
      expect(linesOf(repo, all.blocks)).toEqual(await exported(repo));
      // Resuming from the cursor after more commits yields exactly the new ones.
      const more = await randomHistory(repo, 12, 3);
      const next = await replay(repo, { cursor: all.cursor });
      expect(next.blocks.map((b) => b.commit)).toEqual(more.slice(1));
      expect(linesOf(repo, [...all.blocks, ...next.blocks])).toEqual(await exported(repo));
      // diff(A, C) == the composition of the commit changes from A to C.
      const chain = [...ids, ...more.slice(1)];
      for (const [a, c] of [
        [1, 6],
        [0, chain.length - 1],
        [3, 9],
      ]) {
        const composed = new Map<string, { before: unknown; after: unknown }>();
        for (const id of chain.slice(a + 1, c + 1))
          for (const ch of (await commitChanges(repo, id)).changes) {
            const key = `${ch.type.name} ${ch.id}`;
            const prior = composed.get(key);
            composed.set(key, {
              before: prior ? prior.before : (ch.before ?? null),
              after: ch.after ?? null,
            });
          }
        const expected = [...composed]
          .filter(([, v]) => JSON.stringify(v.before, big) !== JSON.stringify(v.after, big))
          .map(
            ([k, v]) =>
              `${k} ${v.before === null ? 'insert' : v.after === null ? 'delete' : 'update'}`,
          )
          .sort();
        const d = await repo.diff({ from: chain[a], to: chain[c] });
        expect(d.changes.map((x) => `${x.type} ${x.id} ${x.op}`).sort()).toEqual(expected);
      }
    } finally {
      await repo.close();
    }
  });

  it('starts now or after a commit; cursors are bound to the branch, its incarnation and the filter', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      const now = await pollChanges(repo, {});
      expect(now).toMatchObject({ blocks: [], caughtUp: true, nextPageToken: null });
      const c1 = await repo.transaction((tx) => void tx.insert('Note', { text: 'a' }));
      const c2 = await repo.transaction((tx) => void tx.insert('Note', { text: 'b' }));
      const after = await pollChanges(repo, { cursor: now.cursor! });
      expect(after.blocks.map((b) => b.cause.graphCommitId)).toEqual([c1.commitId, c2.commitId]);
      const fromC1 = await pollChanges(repo, { start: `after:${c1.commitId}` });
      expect(fromC1.blocks.map((b) => b.cause.graphCommitId)).toEqual([c2.commitId]);
      // At least once: the same cursor gives the same blocks again.
      expect((await pollChanges(repo, { cursor: now.cursor! })).blocks).toHaveLength(2);
      repo.createBranch('feat');
      const bad = [
        { cursor: now.cursor!, branch: 'feat' },
        { cursor: now.cursor!, filter: { kinds: ['node' as const] } },
        { cursor: `${now.cursor!.slice(0, -2)}xx` },
        { cursor: 'not-a-cursor' },
        { pageToken: now.cursor! },
        { start: 'yesterday' },
      ];
      for (const b of bad)
        await expect(pollChanges(repo, b)).rejects.toMatchObject({
          code: 'ChangeCursorRejected',
          message: expect.stringMatching(/^change cursor rejected: /),
        });
      await expect(
        pollChanges(repo, { start: 'after:01JM8CTAY32W8HJXEHPG1TFH6X' }),
      ).rejects.toMatchObject({
        code: 'CommitNotOnBranch',
      });
      // A branch's feed from beginning includes what it inherited.
      const feat = await pollChanges(repo, { branch: 'feat', start: 'beginning' });
      expect(feat.blocks.map((b) => b.cause.graphCommitId)).toEqual([c1.commitId, c2.commitId]);
    } finally {
      await repo.close();
    }
  });

  it('answers change_feed_gap once cleanup removed a version the feed needs', async () => {
    const repo = await makeRepo(tmp(), PG);
    try {
      const start = await pollChanges(repo, {});
      for (let i = 0; i < 4; i++) {
        // Cleanup keeps what is younger than the kept commit's versions by a margin.
        if (i === 2) await setTimeout(CUTOFF_MARGIN_MS + 200);
        await repo.transaction((tx) => void tx.insert('Note', { text: `n${i}` }));
      }
      await repo.optimize();
      const r = await repo.cleanup({ keep: 1, olderThanMs: null, confirm: true });
      expect(
        r.tables.find((t) => t.tableKey === 'node:Note')!.versionsRemoved.length,
      ).toBeGreaterThan(0);
      await expect(pollChanges(repo, { cursor: start.cursor! })).rejects.toMatchObject({
        code: 'ChangeFeedGap',
        details: { first_unreadable_commit_id: expect.any(String) },
      });
    } finally {
      await repo.close();
    }
  });
});

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
