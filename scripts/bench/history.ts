/**
 * history: single-row write latency on a table with a short history (10 prior
 * commits) vs a long one (5,000 prior commits at scale 1) — target ratio ≤ 1.1.
 *
 * Prior commits are one-row upserts cycling over the same few keys, so the data stays
 * the same size and only the history grows (Lance versions, journal events, manifests,
 * commits). The same is measured on raw LanceDB tables (10 vs N mergeInserts) to tell
 * Lance's own cost of history from ours. Measured writes alternate short/long.
 *
 * `--commits N`: the long repo's N prior commits are generated directly through the
 * journal (scripts/bench/gen-history.ts: the 7 events of each one-table write, the pin
 * unchanged) — 50,000 real writes would take hours here. That grows every journal
 * table as real commits do, but not the Lance table's versions, so the raw-LanceDB
 * rows are left out of such a run (their history cost is the 5,000-commit run's).
 *
 * Cold processes: after the in-process rounds, each side is opened and written once
 * by a fresh child process per round (history-child.ts), which reports its open +
 * first write time and its peak RSS.
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
import { generateHistory } from './gen-history.js';

const CHILD = join(import.meta.dirname, 'history-child.ts');

/** One cold process: open `dir`, write once; its time and peak RSS. */
async function coldProcess(dir: string, round: number): Promise<{ ms: number; maxRssMiB: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, String(round)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { ms: number; maxRssMiB: number };
}
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
  const generated = opts.commits !== undefined;
  const long = opts.commits ?? scaled(FULL.long, scale, 20);
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
    let built: { lancelogS: number; rawS: number };
    if (generated) {
      const t0 = nowMs();
      generateHistory(fxLong.repo.journal, long, { tableKey: 'node:Person', batchOps: 1000 });
      built = { lancelogS: (nowMs() - t0) / 1000, rawS: 0 };
    } else built = await build(fxLong, long, FULL.keys, log, 'long');
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
    const sides = {
      short: (r: number) => write(fxShort, r),
      long: (r: number) => write(fxLong, r),
      rawShort: (r: number) => rawWrite(fxShort, r),
      rawLong: (r: number) => rawWrite(fxLong, r),
      reopenShort: (r: number) => reopenWrite(fxShort, r),
      reopenLong: (r: number) => reopenWrite(fxLong, r),
      rawReopenShort: (r: number) => rawReopenWrite(fxShort, r),
      rawReopenLong: (r: number) => rawReopenWrite(fxLong, r),
    };
    if (generated) {
      // The raw tables did not get the generated history: nothing to compare there.
      const none = () => Promise.resolve(NaN);
      sides.rawShort = sides.rawLong = sides.rawReopenShort = sides.rawReopenLong = none;
    }
    const s = await alternate(sides, { runs, warmup, log, label: 'history' });

    // Cold processes: one child per side and round, the parent's handles closed meanwhile.
    await fxShort.repo.close();
    await fxLong.repo.close();
    const coldRuns = Math.max(5, Math.min(runs, 9));
    type Cold = { ms: number; maxRssMiB: number };
    const cold: Record<'short' | 'long', Cold[]> = { short: [], long: [] };
    for (let r = 0; r < coldRuns + 1; r++) {
      const order = r % 2 === 0 ? (['short', 'long'] as const) : (['long', 'short'] as const);
      for (const k of order) {
        const m = await coldProcess(k === 'short' ? fxShort.dir : fxLong.dir, r);
        if (r > 0) cold[k].push(m);
      }
    }
    log(`history: ${coldRuns} cold processes per side`);
    fxShort.repo = await Repo.open(fxShort.dir);
    fxLong.repo = await Repo.open(fxLong.dir);
    const coldMs = (k: 'short' | 'long') => cold[k].map((m) => m.ms);
    const coldRss = (k: 'short' | 'long') => cold[k].map((m) => m.maxRssMiB);
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
      longHistoryGeneratedThroughJournal: generated,
    };
    const rawMetric = (r: BenchResult) => !generated || !r.metric.startsWith('raw_');
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
      result({
        name: 'history',
        metric: `cold_process_open_and_write_ms_after_${long}_vs_${short}`,
        lancelog: median(coldMs('long')),
        baseline: median(coldMs('short')),
        unit: 'ms',
        baselineIs: `a fresh process: Repo.open + one write on a repo with ${short} prior commits`,
        runs: coldRuns,
        target: { kind: 'ratio<=', value: 1.1 },
        extra: { longSpread: spread(coldMs('long')), shortSpread: spread(coldMs('short')) },
      }),
      result({
        name: 'history',
        metric: `cold_process_peak_rss_mib_after_${long}_vs_${short}`,
        lancelog: median(coldRss('long')),
        baseline: median(coldRss('short')),
        unit: 'MiB',
        baselineIs: `peak RSS of that fresh process on a repo with ${short} prior commits`,
        runs: coldRuns,
        target: { kind: 'extra<=', value: 20 },
        extra: { longSpread: spread(coldRss('long')), shortSpread: spread(coldRss('short')) },
      }),
    ].filter(rawMetric);
  } finally {
    await fxShort.close();
    await fxLong.close();
    work.cleanup();
  }
}
