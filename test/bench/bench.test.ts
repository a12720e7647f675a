/**
 * One tiny run of each benchmark (scripts/bench/), so they cannot rot. Asserts the
 * shape and sanity of the results only — never wall-clock thresholds (the machines
 * are shared and noisy; docs/performance.md holds the real numbers).
 */
import { describe, expect, it } from 'vitest';
import { formatTable, type BenchResult } from '../../scripts/bench/lib.js';
import * as write1row from '../../scripts/bench/write-1row.js';
import * as history from '../../scripts/bench/history.js';
import * as load from '../../scripts/bench/load.js';
import * as open from '../../scripts/bench/open.js';
import * as journal from '../../scripts/bench/journal.js';
import * as reads from '../../scripts/bench/reads.js';
import * as search from '../../scripts/bench/search.js';
import * as containsIndex from '../../scripts/bench/contains-index.js';
import * as merge from '../../scripts/bench/merge.js';
import * as feed from '../../scripts/bench/feed.js';
import * as coldStart from '../../scripts/bench/cold-start.js';
import * as server from '../../scripts/bench/server.js';
import * as json from '../../scripts/bench/json.js';
import * as scrub from '../../scripts/bench/scrub.js';

function checkShape(results: BenchResult[], name: string, metrics: string[]): void {
  expect(results.map((r) => r.metric)).toEqual(metrics);
  for (const r of results) {
    expect(Object.keys(r)).toEqual(
      expect.arrayContaining([
        'name',
        'metric',
        'lancelog',
        'baseline',
        'ratio',
        'target',
        'runs',
        'machine',
      ]),
    );
    expect(r.name).toBe(name);
    expect(r.runs).toBeGreaterThanOrEqual(5);
    expect(Number.isFinite(r.lancelog) && r.lancelog > 0).toBe(true);
    if (r.baseline !== null) {
      expect(Number.isFinite(r.baseline) && r.baseline > 0).toBe(true);
      // The ratio is rounded for display: within 1% of lancelog / baseline.
      expect(Math.abs((r.ratio ?? Number.NaN) - r.lancelog / r.baseline)).toBeLessThanOrEqual(
        0.01 * Math.max(1, r.lancelog / r.baseline),
      );
    }
    expect(r.machine).toMatch(/^node v\d+.*cores.*RAM/);
    if (r.target !== null) expect(typeof r.met).toBe('boolean');
    // One JSON object per metric, round-tripping.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  }
  expect(formatTable(results)).toContain(name);
}

describe('benchmarks (tiny runs)', () => {
  it('cold-start (the bundled bin beside node -e 0; version, --help and two commands on a small repo)', async () => {
    const r = await coldStart.run({ runs: 5 });
    checkShape(r, 'cold-start', [
      'lancelog version wall',
      'lancelog --help wall',
      'lancelog journal log wall',
      'lancelog snapshot wall',
    ]);
    expect(r[0].target).toBe('lancelog <= 0.3 s');
    expect(r[2].target).toBeNull(); // commands that open a repo are reported, not targeted
    expect(r[0].extra!.cpu_s).toHaveProperty('unbundled');
  });

  it('write-1row', async () => {
    const r = await write1row.run({ scale: 0.001, runs: 5 });
    checkShape(r, 'write-1row', [
      'node_upsert_ms',
      'node_edge_ms',
      'node_insert_ms',
      'node_edge_insert_ms',
    ]);
    expect(r[0].target).toBe('ratio <= 1.3');
    expect(r[2].target).toBe('ratio <= 0.5');
    expect(r[3].target).toBe('ratio <= 0.6');
    const phases = r[0].extra!.lancelogPhasesPerOp as Record<string, number>;
    expect(phases['lance.mergeInsert#n']).toBe(1);
    expect(phases['journal.publish#n']).toBe(1);
    // The raw mergeInsert timed in the same rounds as the phase spans.
    expect(r[0].extra!.baselineMergeInsertSameRoundsMs).toBeGreaterThan(0);
  });

  it('history', async () => {
    const r = await history.run({ scale: 0.004, runs: 5 });
    checkShape(r, 'history', [
      'write_ms_after_20_vs_10',
      'raw_lance_write_ms_after_20_vs_10',
      'open_and_write_ms_after_20_vs_10',
      'raw_lance_open_and_write_ms_after_20_vs_10',
      'cold_process_open_and_write_ms_after_20_vs_10',
      'cold_process_peak_rss_mib_after_20_vs_10',
    ]);
    expect(
      (r[0].extra!.lanceVersionsAtStart as { long: number; short: number }).long,
    ).toBeGreaterThan((r[0].extra!.lanceVersionsAtStart as { short: number }).short);
    expect(r[5].target).toBe('lancelog - baseline <= 20 MiB');
  });

  it('history with a generated history (--commits)', async () => {
    const r = await history.run({ commits: 300, runs: 5 });
    checkShape(r, 'history', [
      'write_ms_after_300_vs_10',
      'open_and_write_ms_after_300_vs_10',
      'cold_process_open_and_write_ms_after_300_vs_10',
      'cold_process_peak_rss_mib_after_300_vs_10',
    ]);
    expect(r[0].extra!.longHistoryGeneratedThroughJournal).toBe(true);
  });

  it('merge (one run per step: the steps change the repo)', async () => {
    const r = await merge.run({ scale: 0.001 });
    const metrics = ['diff_ms', 'diff_peak_rss_mib', 'merge_ms', 'merge_peak_rss_mib'];
    expect(r.map((x) => x.metric)).toEqual(
      ['0.1%', '1%', '10%'].flatMap((f) => metrics.map((m) => `${m}@${f}`)),
    );
    for (const x of r) expect(Number.isFinite(x.lancelog) && x.lancelog > 0).toBe(true);
    // Per fraction: the lineage diff and the full compare agree; the merge writes one side.
    for (const [i, changed] of [1, 10, 100].entries()) {
      const diff = r[4 * i];
      expect(diff.extra).toMatchObject({
        rows: 1000,
        stats: { updates: 2 * changed, inserts: 0, deletes: 0, methods: { fullCompare: 0 } },
        fullStats: { updates: 2 * changed, methods: { lineage: 0, fullCompare: 1 } },
      });
      expect(r[4 * i + 2].extra).toMatchObject({
        outcome: 'Merged',
        tables: [{ tableKey: 'node:Item', upserts: changed }],
      });
    }
    expect(formatTable(r)).toContain('merge');
  }, 300_000);

  it("feed (follow latency from another process's publish to delivery)", async () => {
    const r = await feed.run({ scale: 0.05 });
    expect(r.map((x) => x.metric)).toEqual(['follow_latency_p50_ms', 'follow_latency_p99_ms']);
    expect(r[0].extra).toMatchObject({ commits: 5 });
    for (const x of r) expect(Number.isFinite(x.lancelog) && x.lancelog >= 0).toBe(true);
  }, 120_000);

  it('load', async () => {
    const r = await load.run({ scale: 0.0002, runs: 5, rss: false });
    checkShape(r, 'load', ['rows_per_s_vs_raw_jsonl_loader', 'rows_per_s_vs_raw_add_prebuilt']);
    expect(r[0].extra!.rows).toBe(600);
  });

  it('open (and recovery of 1 pending operation)', async () => {
    const r = await open.run({ scale: 0.01, runs: 5 });
    checkShape(r, 'open', [
      'open_rw_nothing_pending_ms',
      'recover_rollforward_1_pending_ms',
      'recover_rollback_1_pending_ms',
    ]);
    expect(r[1].extra!.decisions).toEqual(['RollForward']);
    expect(r[2].extra!.decisions).toEqual(['RollBack']);
  });

  it('journal', async () => {
    const r = await journal.run({ scale: 0.001, runs: 5 });
    checkShape(r, 'journal', [
      'append_events_per_s_one_per_tx',
      'append_events_per_s_batched',
      'replay_events_per_s_verify',
    ]);
    expect(r[2].extra!.verifyOk).toBe(true);
  });

  it('reads (vs Kuzu and, for the group-by, DuckDB; every side gives the same answers)', async () => {
    const r = await reads.run({ scale: 0.002, runs: 5 });
    const queries = [
      'point_lookup',
      'one_hop_with_property',
      'two_hop_distinct_count',
      'var_hop_1_3_distinct_count',
      'undirected_one_hop_with_property',
      'edge_property_filter',
    ];
    checkShape(r, 'reads', [
      ...queries.map((q) => `${q}_warm_ms`),
      'count_per_city_warm_ms',
      'count_per_city_warm_vs_duckdb_ms',
      ...queries.flatMap((q) => [`${q}_cold_ms`, `${q}_cold_open_ms`]),
      'count_per_city_cold_ms',
      'count_per_city_cold_open_ms',
      'count_per_city_cold_vs_duckdb_ms',
      'count_per_city_cold_open_vs_duckdb_ms',
    ]);
    expect(r[0].target).toBe('ratio <= 0.3');
    expect(r[queries.length].target).toBe('ratio <= 1');
    expect(r[queries.length + 2].target).toBe('ratio <= 3');
    expect(r[queries.length + 3].target).toBe('ratio <= 2');
    expect(r[0].extra).toMatchObject({ nodes: 200, edges: 2000 });
    // The graph index came from its file (index ensure wrote it after the load).
    const coldHop = r.find((x) => x.metric === 'one_hop_with_property_cold_ms')!;
    expect(coldHop.extra!.lancelogColdPhasesMs).toMatchObject({ graphIndexFrom: 'file' });
    expect(r[0].extra!.lancelogIndexes).toHaveProperty(['Knows.graphFileBytes']);
    // The run throws when the sides disagree; the answers are non-trivial.
    expect((r[0].extra!.answer as { rows: number }).rows).toBe(1);
    expect((r[4].extra!.answer as { rows: number }).rows).toBeGreaterThan(0);
    expect((r[5].extra!.answer as { rows: number }).rows).toBeGreaterThan(0);
    expect((r[6].extra!.answer as { rows: number }).rows).toBe(5);
  });

  it('contains-index (an FM-index and a trigram probe vs a scan filter; the FM-index answers exactly)', async () => {
    const r = await containsIndex.run({ scale: 0.01, runs: 5 });
    const needles = ['rare', 'selective', 'common', 'very_common', 'short'];
    checkShape(
      r,
      'contains-index',
      needles.flatMap((n) => [`contains_${n}_fm_ms`, `contains_${n}_ngram_ms`]),
    );
    for (const x of r.filter((x) => x.metric.endsWith('_fm_ms')))
      expect(x.extra!.sameAnswer, x.metric).toBe(true);
  });

  it('search (bm25 and cosine top-10 vs raw LanceDB on the same table)', async () => {
    const r = await search.run({ scale: 0.01, runs: 5 });
    checkShape(r.slice(0, 3), 'search', [
      'fts_top10_1000',
      'vector_top10_1000',
      'fts_common_terms_top10_1000',
    ]);
    // The index build is measured once (one operation), informative.
    expect(r[3]).toMatchObject({ metric: 'index_build_1000', runs: 1, baseline: null });
    expect(r[3].lancelog).toBeGreaterThan(0);
    expect(r[0].target).toBe('ratio <= 1.5');
    expect(Object.keys(r[3].extra!.perIndexMs as object).sort()).toEqual([
      'slug_btree',
      'title_fts',
    ]);
  });

  it('scrub (doctor --deep beside sha256sum and cat of the same files)', async () => {
    const r = await scrub.run({ scale: 0.002, runs: 5 });
    checkShape(r, 'scrub', [
      'scrub vs sha256sum of the same files (warm cache)',
      'scrub vs cat of the same files (warm cache)',
    ]);
    const extra = r[0].extra as { bytes: number; mbPerS: Record<string, number> };
    expect(extra.bytes).toBeGreaterThan(0);
    for (const side of ['scrub', 'sha256sum', 'cat']) expect(extra.mbPerS[side]).toBeGreaterThan(0);
  });

  it('server', async () => {
    const r = await server.run({ scale: 0.05, runs: 5 });
    checkShape(r, 'server', [
      'read_1hop_per_s',
      'read_1hop_p99_ms',
      'read_1hop_serial_p50_ms',
      'noop_roundtrip_p50_ms',
      'change_per_s',
    ]);
  });

  it('json (exact parsing vs JSON.parse; an /ingest with 16+ digit runs)', async () => {
    const r = await json.run({ scale: 0.001, runs: 5 });
    const kinds = ['one-run', 'long-floats', 'digit-strings', 'i64-sparse', 'i64-dense'];
    checkShape(r, 'json', [
      ...kinds.flatMap((k) => [`one line: ${k}`, `jsonl lines: ${k}`]),
      'POST /ingest: longest event-loop stall',
    ]);
    expect(r[0].target).toBe('ratio <= 1.5');
  });
});
