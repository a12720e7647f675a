/**
 * write-1row: one keyed node upsert (an update of a seeded key) through
 * `repo.transaction` vs raw LanceDB `mergeInsert` of the same row into an identical
 * table (target ratio ≤ 1.3); a node + edge operation vs two raw commits (mergeInsert
 * the node, add the edge). Then the append path (docs/writes.md §Inserts as appends):
 * a 1-row insert of a new key vs raw `mergeInsert` of the same row (≤ 0.5), and a new
 * node + edge vs two raw `mergeInsert` commits (≤ 0.6).
 *
 * Both sides write the same keys in each round, so the tables grow identically. Every
 * round times one write per side, alternating.
 */
import { ulid } from 'ulid';
import {
  alternate,
  median,
  quantile,
  result,
  round,
  scaled,
  timeIt,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';
import { writeFixture, personRow } from './fixtures.js';
import { instrument, PerOp } from './instrument.js';

export const FULL = { seed: 10_000, runs: 41, warmup: 5 };
export const DEFAULT_SCALE = 0.1;

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? scaled(FULL.runs, Math.max(scale, 0.5), 5));
  const warmup = FULL.warmup;
  const seed = scaled(FULL.seed, scale, 10);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'write-1row');
  const fx = await writeFixture(work.dir, seed);
  const out: BenchResult[] = [];
  try {
    // 1. one node upsert
    log(`write-1row: node upsert, seed ${seed} rows, ${warmup} warm-up + ${runs} runs per side`);
    const node = await alternate(
      {
        lancelog: (r) =>
          timeIt(() =>
            fx.repo.transaction((tx) => {
              tx.upsert('Person', personRow(r % seed, r + 1));
            }),
          ),
        baseline: (r) =>
          timeIt(() => {
            const p = personRow(r % seed, r + 1);
            return fx.person.mergeInsert([{ id: p.name, ...p }]);
          }),
      },
      { runs, warmup, log, label: 'node upsert' },
    );

    // 2. node + edge in one operation vs two raw commits
    const edge = await alternate(
      {
        lancelog: (r) =>
          timeIt(() =>
            fx.repo.transaction((tx) => {
              const p = personRow(r % seed, r + 1000);
              tx.upsert('Person', p);
              tx.link('Knows', p.name, personRow((r + 1) % seed).name, {
                since: '2020-01-01',
                weight: 0.5,
              });
            }),
          ),
        baseline: (r) =>
          timeIt(async () => {
            const p = personRow(r % seed, r + 1000);
            await fx.person.mergeInsert([{ id: p.name, ...p }]);
            await fx.knows.add([
              {
                id: ulid(),
                src: p.name,
                dst: personRow((r + 1) % seed).name,
                since: new Date('2020-01-01'),
                weight: 0.5,
              },
            ]);
          }),
      },
      { runs, warmup, log, label: 'node+edge' },
    );

    // 3. the append path: new keys (never seeded, one per round, the same on both sides)
    const newRow = (r: number, salt: number) => personRow(seed + 1_000_000 + r, salt);
    const insert = await alternate(
      {
        lancelog: (r) =>
          timeIt(() => fx.repo.transaction((tx) => tx.insert('Person', newRow(r, 1)))),
        baseline: (r) =>
          timeIt(() => {
            const p = newRow(r, 1);
            return fx.person.mergeInsert([{ id: p.name, ...p }]);
          }),
      },
      { runs, warmup, log, label: 'node insert' },
    );
    const edgeInsert = await alternate(
      {
        lancelog: (r) =>
          timeIt(() =>
            fx.repo.transaction((tx) => {
              const p = newRow(r + 100_000, 2);
              tx.insert('Person', p);
              tx.link('Knows', p.name, personRow(r % seed).name, {
                since: '2020-01-01',
                weight: 0.5,
              });
            }),
          ),
        baseline: (r) =>
          timeIt(async () => {
            const p = newRow(r + 100_000, 2);
            await fx.person.mergeInsert([{ id: p.name, ...p }]);
            await fx.knows.mergeInsert([
              {
                id: ulid(),
                src: p.name,
                dst: personRow(r % seed).name,
                since: new Date('2020-01-01'),
                weight: 0.5,
              },
            ]);
          }),
      },
      { runs, warmup, log, label: 'node+edge insert' },
    );

    // The floor of the insert ratio: raw `add` vs raw `mergeInsert` of new rows, alternating.
    const rawAdd: number[] = [];
    const rawMerge: number[] = [];
    for (let i = 0; i < Math.max(5, Math.min(runs, 21)); i++) {
      const a = newRow(i + 200_000, 3);
      const b = newRow(i + 300_000, 3);
      const add = () => fx.person.add([{ id: a.name, ...a }]);
      const merge = () => fx.person.mergeInsert([{ id: b.name, ...b }]);
      if (i % 2 === 0) {
        rawAdd.push(await timeIt(add));
        rawMerge.push(await timeIt(merge));
      } else {
        rawMerge.push(await timeIt(merge));
        rawAdd.push(await timeIt(add));
      }
    }

    // 4. Where lancelog's time goes: phase spans of instrumented runs (not part of the ratio).
    // A raw mergeInsert of the same row alternates with each run, so `lance.mergeInsert`
    // is compared with a baseline commit on a table of the same history at the same moment
    // (section 1's baseline median was taken before section 2 doubled both tables' versions).
    const perOp = new PerOp();
    const sameRoundsBaseline: number[] = [];
    const undo = instrument(fx.repo, perOp.spans);
    try {
      for (let i = 0; i < Math.max(5, Math.min(runs, 21)); i++) {
        const p = personRow(i % seed, 5000 + i);
        const lancelogFirst = i % 2 === 0;
        if (!lancelogFirst)
          sameRoundsBaseline.push(
            await timeIt(() => fx.person.mergeInsert([{ id: p.name, ...p }])),
          );
        const ms = await timeIt(() =>
          fx.repo.transaction((tx) => {
            tx.upsert('Person', p);
          }),
        );
        perOp.next(ms);
        if (lancelogFirst)
          sameRoundsBaseline.push(
            await timeIt(() => fx.person.mergeInsert([{ id: p.name, ...p }])),
          );
      }
    } finally {
      undo();
    }

    const stats = (xs: number[]) => ({
      p10: round(quantile(xs, 0.1)),
      p90: round(quantile(xs, 0.9)),
    });
    out.push(
      result({
        name: 'write-1row',
        metric: 'node_upsert_ms',
        lancelog: median(node.lancelog),
        baseline: median(node.baseline),
        unit: 'ms',
        baselineIs: 'raw LanceDB mergeInsert of the same row into an identical table',
        runs,
        target: { kind: 'ratio<=', value: 1.3 },
        extra: {
          seedRows: seed,
          lancelogSpread: stats(node.lancelog),
          baselineSpread: stats(node.baseline),
          lancelogPhasesPerOp: perOp.medians(),
          baselineMergeInsertSameRoundsMs: round(median(sameRoundsBaseline)),
        },
      }),
    );
    out.push(
      result({
        name: 'write-1row',
        metric: 'node_edge_ms',
        lancelog: median(edge.lancelog),
        baseline: median(edge.baseline),
        unit: 'ms',
        baselineIs: 'two raw LanceDB commits (mergeInsert node, add edge)',
        runs,
        target: { kind: 'ratio<=', value: 1.15 },
        extra: { lancelogSpread: stats(edge.lancelog), baselineSpread: stats(edge.baseline) },
      }),
    );
    out.push(
      result({
        name: 'write-1row',
        metric: 'node_insert_ms',
        lancelog: median(insert.lancelog),
        baseline: median(insert.baseline),
        unit: 'ms',
        baselineIs: 'raw LanceDB mergeInsert of the same new row into an identical table',
        runs,
        target: { kind: 'ratio<=', value: 0.5 },
        extra: {
          lancelogSpread: stats(insert.lancelog),
          baselineSpread: stats(insert.baseline),
          // Raw LanceDB alone: what an append saves over the join at this table size.
          rawAddMs: round(median(rawAdd)),
          rawMergeInsertMs: round(median(rawMerge)),
          rawAddOverMergeInsert: round(median(rawAdd) / median(rawMerge)),
        },
      }),
    );
    out.push(
      result({
        name: 'write-1row',
        metric: 'node_edge_insert_ms',
        lancelog: median(edgeInsert.lancelog),
        baseline: median(edgeInsert.baseline),
        unit: 'ms',
        baselineIs: 'two raw LanceDB mergeInsert commits (the new node, the new edge)',
        runs,
        target: { kind: 'ratio<=', value: 0.6 },
        extra: {
          lancelogSpread: stats(edgeInsert.lancelog),
          baselineSpread: stats(edgeInsert.baseline),
        },
      }),
    );
  } finally {
    await fx.close();
    work.cleanup();
  }
  return out;
}
