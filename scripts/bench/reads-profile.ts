/**
 * Phase profile of one cold read (first query after `Repo.open`), without touching
 * engine code: wraps `TableReader#nodeTable` (node columns: open + scan + convert),
 * `TableReader#graphIndex` (edge endpoint scan + index build), `GraphIndex.build`
 * and the repo's `openPinned` (Lance table opens) for the duration of one query.
 * Spans nest: nodeTable and graphIndex include their table opens; graphIndex
 * includes GraphIndex.build. `execute` is the rest of the query (compile, snapshot,
 * expansion, filters, aggregation, projection).
 */
import { Repo } from '../../src/index.js';
import { GraphIndex } from '../../src/read/graph-index.js';
import { TableReader } from '../../src/read/tables.js';
import { wrap } from './instrument.js';
import { nowMs, round, Spans } from './lib.js';

/** Opens the repo, runs one query instrumented, closes; returns phase totals in ms. */
export async function profileColdQuery(
  repoDir: string,
  query: { source: string; file: string; name: string; params: Record<string, unknown> },
): Promise<Record<string, number>> {
  const spans = new Spans();
  let t0 = nowMs();
  const repo = await Repo.open(repoDir, { readOnly: true });
  const openMs = nowMs() - t0;
  const undo = [
    wrap(TableReader.prototype, 'nodeTable', 'nodeColumns', spans),
    wrap(TableReader.prototype, 'graphIndex', 'graphIndex', spans),
    wrap(GraphIndex, 'build', 'graphIndex.build', spans),
    wrap(repo, 'openPinned', 'lance.openTable', spans),
  ];
  try {
    t0 = nowMs();
    const out = await repo.query(query);
    const totalMs = nowMs() - t0;
    const sum = (k: string): number => (spans.totals.get(k) ?? []).reduce((a, b) => a + b, 0);
    return {
      repoOpen: round(openMs),
      query: round(totalMs),
      'lance.openTable': round(sum('lance.openTable')),
      nodeColumns: round(sum('nodeColumns')),
      graphIndex: round(sum('graphIndex')),
      'graphIndex.scan': round(sum('graphIndex') - sum('graphIndex.build')),
      'graphIndex.build': round(sum('graphIndex.build')),
      execute: round(totalMs - sum('nodeColumns') - sum('graphIndex')),
      engineMs: round(out.stats.ms),
      rowsScanned: out.stats.rowsScanned,
    };
  } finally {
    for (const u of undo.reverse()) u();
    await repo.close();
  }
}
