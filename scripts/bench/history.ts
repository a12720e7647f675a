/**
 * history: single-row write latency on a table with a short history (10 prior
 * commits) vs a long one (5,000 prior commits at scale 1) — target ratio ≤ 1.1.
 *
 * Prior commits are one-row upserts cycling over the same few keys, so the data stays
 * the same size and only the history grows (Lance versions, journal events, manifests,
 * commits). The same is measured on raw LanceDB tables (10 vs N mergeInserts) to tell
 * Lance's own cost of history from ours. Measured writes alternate short/long.
 */
import {
  alternate,
  median,
  nowMs,
  quantile,
  result,
  round,
  scaled,
  timeIt,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';
import { writeFixture, personRow, type WriteFixture } from './fixtures.js';
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { RawLance } from '../../src/storage/index.js';

export const FULL = { long: 5000, short: 10, keys: 10, runs: 31, warmup: 5 };
export const DEFAULT_SCALE = 0.2;

async function build(
  fx: WriteFixture,
  commits: number,
  keys: number,
  log: (m: string) => void,
  label: string,
): Promise<{ lancelogS: number; rawS: number }> {
  let t0 = nowMs();
  for (let i = 0; i < commits; i++) {
    await fx.repo.transaction((tx) => {
      tx.upsert('Person', personRow(i % keys, i));
    });
    if ((i + 1) % 500 === 0) log(`${label}: ${i + 1}/${commits} lancelog commits`);
  }
  const lancelogS = (nowMs() - t0) / 1000;
  t0 = nowMs();
  for (let i = 0; i < commits; i++) {
    const p = personRow(i % keys, i);
    await fx.person.mergeInsert([{ id: p.name, ...p }]);
  }
  return { lancelogS, rawS: (nowMs() - t0) / 1000 };
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const long = scaled(FULL.long, scale, 20);
  const short = FULL.short;
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const warmup = FULL.warmup;
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'history');
  const fxShort = await writeFixture(join(work.dir, 'short'), FULL.keys);
  const fxLong = await writeFixture(join(work.dir, 'long'), FULL.keys);
  try {
    log(`history: building ${short} and ${long} prior commits`);
    await build(fxShort, short, FULL.keys, log, 'short');
    const built = await build(fxLong, long, FULL.keys, log, 'long');
    log(
      `history: built ${long} commits in ${built.lancelogS.toFixed(1)} s (lancelog) + ${built.rawS.toFixed(1)} s (raw)`,
    );
    const versions = { short: await fxShort.person.version(), long: await fxLong.person.version() };

    const write = (fx: WriteFixture, r: number) =>
      timeIt(() =>
        fx.repo.transaction((tx) => {
          tx.upsert('Person', personRow(r % FULL.keys, 100_000 + r));
        }),
      );
    const rawWrite = (fx: WriteFixture, r: number) =>
      timeIt(() => {
        const p = personRow(r % FULL.keys, 100_000 + r);
        return fx.person.mergeInsert([{ id: p.name, ...p }]);
      });
    // A process that opens the repo, writes once and exits (the CLI): open + first write.
    const reopenWrite = async (fx: WriteFixture, r: number) => {
      await fx.repo.close();
      return timeIt(async () => {
        fx.repo = await Repo.open(fx.dir);
        await fx.repo.transaction((tx) => {
          tx.upsert('Person', personRow(r % FULL.keys, 200_000 + r));
        });
      });
    };
    const rawReopenWrite = (fx: WriteFixture, r: number) =>
      timeIt(async () => {
        const raw = await RawLance.connect(fx.raw.dir);
        const t = await raw.openTable('person');
        const p = personRow(r % FULL.keys, 200_000 + r);
        await t.mergeInsert([{ id: p.name, ...p }]);
        t.close();
        raw.close();
      });
    const s = await alternate(
      {
        short: (r) => write(fxShort, r),
        long: (r) => write(fxLong, r),
        rawShort: (r) => rawWrite(fxShort, r),
        rawLong: (r) => rawWrite(fxLong, r),
        reopenShort: (r) => reopenWrite(fxShort, r),
        reopenLong: (r) => reopenWrite(fxLong, r),
        rawReopenShort: (r) => rawReopenWrite(fxShort, r),
        rawReopenLong: (r) => rawReopenWrite(fxLong, r),
      },
      { runs, warmup, log, label: 'history' },
    );
    const spread = (xs: number[]) => ({
      p10: round(quantile(xs, 0.1)),
      p90: round(quantile(xs, 0.9)),
    });
    const extra = {
      priorCommitsShort: short,
      priorCommitsLong: long,
      lanceVersionsAtStart: versions,
      buildSeconds: {
        lancelog: round(built.lancelogS, 1),
        raw: round(built.rawS, 1),
        lancelogMsPerCommit: round((built.lancelogS * 1000) / long, 2),
      },
    };
    return [
      result({
        name: 'history',
        metric: `write_ms_after_${long}_vs_${short}`,
        lancelog: median(s.long),
        baseline: median(s.short),
        unit: 'ms',
        baselineIs: `lancelog, same write on a table with ${short} prior commits`,
        runs,
        target: { kind: 'ratio<=', value: 1.1 },
        extra: { ...extra, longSpread: spread(s.long), shortSpread: spread(s.short) },
      }),
      result({
        name: 'history',
        metric: `raw_lance_write_ms_after_${long}_vs_${short}`,
        lancelog: median(s.rawLong),
        baseline: median(s.rawShort),
        unit: 'ms',
        baselineIs: `raw LanceDB mergeInsert on a table with ${short} prior commits ("lancelog" column: raw LanceDB after ${long}) — Lance's own history cost`,
        runs,
        extra: { longSpread: spread(s.rawLong), shortSpread: spread(s.rawShort) },
      }),
      result({
        name: 'history',
        metric: `open_and_write_ms_after_${long}_vs_${short}`,
        lancelog: median(s.reopenLong),
        baseline: median(s.reopenShort),
        unit: 'ms',
        baselineIs: `lancelog, Repo.open + one write on a repo with ${short} prior commits (a one-write process, like the CLI)`,
        runs,
        target: { kind: 'ratio<=', value: 1.1 },
        extra: { longSpread: spread(s.reopenLong), shortSpread: spread(s.reopenShort) },
      }),
      result({
        name: 'history',
        metric: `raw_lance_open_and_write_ms_after_${long}_vs_${short}`,
        lancelog: median(s.rawReopenLong),
        baseline: median(s.rawReopenShort),
        unit: 'ms',
        baselineIs: `raw LanceDB connect + openTable + mergeInsert on a table with ${short} prior commits`,
        runs,
        extra: { longSpread: spread(s.rawReopenLong), shortSpread: spread(s.rawReopenShort) },
      }),
    ];
  } finally {
    await fxShort.close();
    await fxLong.close();
    work.cleanup();
  }
}
