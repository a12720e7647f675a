/**
 * Property: random changes on two branches from a common base, then merge; the result
 * equals a model that merges both change sets row by row and property by property
 * (docs/branches-commits.md "Merge"), or the merge reports exactly the model's conflicts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MergeConflictsError, type Repo } from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const PG = `node Person { name: String @key  age: I32?  city: String? }`;
const NAMES = ['a', 'b', 'c', 'd', 'e'] as const;
type Props = { age: number | null; city: string | null };
type State = Map<string, Props>;
type Action =
  | { kind: 'put'; name: string; props: Props }
  | { kind: 'set'; name: string; prop: 'age' | 'city'; value: number | string | null }
  | { kind: 'del'; name: string };

const props = fc.record({
  age: fc.constantFrom(1, 2, null),
  city: fc.constantFrom('x', 'y', null),
});
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      name: fc.constantFrom(...NAMES),
      props,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      name: fc.constantFrom(...NAMES),
      prop: fc.constantFrom('age' as const, 'city' as const),
      value: fc.constantFrom(1, 2, 'x', 'y', null),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('del' as const), name: fc.constantFrom(...NAMES) }),
    weight: 1,
  },
);

/** Applies actions to a model state; inapplicable ones (update of a missing row, …) are dropped. */
function applyActions(state: State, actions: Action[]): { state: State; applied: Action[] } {
  const s = new Map([...state].map(([k, v]) => [k, { ...v }]));
  const applied: Action[] = [];
  for (const a of actions) {
    if (a.kind === 'put') s.set(a.name, { ...a.props });
    else if (!s.has(a.name)) continue;
    else if (a.kind === 'del') s.delete(a.name);
    else {
      const fixed = {
        ...a,
        value:
          a.prop === 'age'
            ? typeof a.value === 'number'
              ? a.value
              : null
            : typeof a.value === 'string'
              ? a.value
              : null,
      };
      s.get(a.name)![a.prop] = fixed.value as never;
      applied.push(fixed);
      continue;
    }
    applied.push(a);
  }
  return { state: s, applied };
}

const key = (p: Props | undefined) => JSON.stringify(p ?? '∅');

/** The row-by-row model of the merge: the merged state or the sorted conflicts. */
function modelMerge(base: State, ours: State, theirs: State): State | string[] {
  const out = new Map(ours);
  const conflicts: string[] = [];
  for (const name of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const [b, o, t] = [base.get(name), ours.get(name), theirs.get(name)];
    if (key(t) === key(b) || key(o) === key(t)) continue;
    if (key(o) === key(b)) {
      if (t) out.set(name, t);
      else out.delete(name);
      continue;
    }
    if (!b) conflicts.push(`DivergentInsert ${name}`);
    else if (!o || !t) conflicts.push(`DeleteVsUpdate ${name}`);
    else {
      const merged = { ...o };
      let clash = false;
      for (const p of ['age', 'city'] as const) {
        if (t[p] === b[p] || o[p] === t[p]) continue;
        if (o[p] === b[p]) merged[p] = t[p] as never;
        else clash = true;
      }
      if (clash) conflicts.push(`DivergentUpdate ${name}`);
      else out.set(name, merged);
    }
  }
  return conflicts.length ? conflicts.sort() : out;
}

async function applyToRepo(repo: Repo, actions: Action[], branch: string): Promise<void> {
  if (actions.length === 0) return;
  await repo.transaction(
    async (tx) => {
      for (const a of actions) {
        if (a.kind === 'put') tx.upsert('Person', { name: a.name, ...a.props });
        else if (a.kind === 'del') await tx.delete('Person', a.name);
        else await tx.update('Person', a.name, { [a.prop]: a.value });
      }
    },
    { branch },
  );
}

async function stateOf(repo: Repo, branch: string): Promise<State> {
  const rows = await repo.scan('Person', { branch });
  return new Map(
    rows
      .sort((x, y) => ((x.name as string) < (y.name as string) ? -1 : 1))
      .map((r) => [
        r.name as string,
        { age: r.age as number | null, city: r.city as string | null },
      ]),
  );
}

describe('merge property', () => {
  it('merge == the row-by-row model, or the same conflicts', async () => {
    await fc.assert(
      fc.asyncProperty(
        // The base: most names present (updates and deletes need rows), then 0–6 changes per side.
        fc.array(props, { minLength: 4, maxLength: 4 }),
        fc.array(action, { maxLength: 6 }),
        fc.array(action, { maxLength: 6 }),
        async (baseRows, mainActs, featActs) => {
          const baseActs: Action[] = baseRows.map((p, i) => ({
            kind: 'put',
            name: NAMES[i],
            props: p,
          }));
          const repo = await makeRepo(tmp(), PG);
          try {
            const base = applyActions(new Map(), baseActs);
            await applyToRepo(repo, base.applied, 'main');
            repo.createBranch('feat');
            const ours = applyActions(base.state, mainActs);
            const theirs = applyActions(base.state, featActs);
            await applyToRepo(repo, ours.applied, 'main');
            await applyToRepo(repo, theirs.applied, 'feat');
            const expected = modelMerge(base.state, ours.state, theirs.state);
            const got = await repo.merge({ source: 'feat' }).then(
              () => null,
              (e: unknown) => e,
            );
            if (Array.isArray(expected)) {
              expect(got).toBeInstanceOf(MergeConflictsError);
              const kinds = (got as MergeConflictsError).conflicts.map(
                (c) => `${c.kind} ${c.rowId}`,
              );
              expect(kinds.sort()).toEqual(expected);
              expect(await stateOf(repo, 'main')).toEqual(ours.state);
            } else {
              expect(got).toBeNull();
              expect(await stateOf(repo, 'main')).toEqual(
                new Map([...expected].sort((x, y) => (x[0] < y[0] ? -1 : 1))),
              );
            }
          } finally {
            await repo.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
