/**
 * Phase profile of one cold read (first query after `Repo.open`), without touching
 * engine code: spans wrapped around the read layer's steps for the duration of one
 * query. Spans nest: `graphIndex` (the edge table's index: cache, file, patch or
 * build; `graphIndex.find` finds and opens it — manifest, file header and
 * dictionaries — and `graphIndex.load` reads the walked direction's adjacency) and
 * the node reads (`scanPushdown`: the bound node by its key; `reachedNodes`: the
 * nodes a traversal reached, by id; `nodeColumns`: whole columns; `typedColumns`: an
 * aggregate's columns) include their Lance table opens (`lance.openTable`).
 * `execute` is the rest: compile, snapshot, the walk, aggregation, projection.
 */
import { Repo } from '../../src/index.js';
import { GraphIndex, GraphIndexes } from '../../src/read/index.js';
import { TableReader } from '../../src/read/tables.js';
import { wrap } from './instrument.js';
import { nowMs, round, Spans } from './lib.js';

const TOP_SPANS = ['graphIndex', 'scanPushdown', 'reachedNodes', 'nodeColumns', 'typedColumns'];

/** Opens the repo, runs one query instrumented, closes; returns phase totals in ms. */
export async function profileColdQuery(
  repoDir: string,
  query: { source: string; file: string; name: string; params: Record<string, unknown> },
): Promise<Record<string, number | string>> {
  const spans = new Spans();
  let t0 = nowMs();
  const repo = await Repo.open(repoDir, { readOnly: true });
  const openMs = nowMs() - t0;
  const undo = [
    wrap(GraphIndexes.prototype, 'get', 'graphIndex', spans),
    wrap(GraphIndexes.prototype, 'resolve', 'graphIndex.find', spans),
    wrap(GraphIndex.prototype, 'prepare', 'graphIndex.load', spans),
    wrap(TableReader.prototype, 'pushedNodes', 'scanPushdown', spans),
    wrap(TableReader.prototype, 'nodesByIds', 'reachedNodes', spans),
    wrap(TableReader.prototype, 'nodeTable', 'nodeColumns', spans),
    wrap(TableReader.prototype, 'typedColumns', 'typedColumns', spans),
    wrap(repo, 'openPinned', 'lance.openTable', spans),
  ];
  try {
    t0 = nowMs();
    const out = await repo.query(query);
    const totalMs = nowMs() - t0;
    const sum = (k: string): number => (spans.totals.get(k) ?? []).reduce((a, b) => a + b, 0);
    const phases: Record<string, number | string> = {
      repoOpen: round(openMs),
      query: round(totalMs),
    };
    for (const k of ['lance.openTable', ...TOP_SPANS, 'graphIndex.find', 'graphIndex.load'])
      phases[k] = round(sum(k));
    phases.execute = round(totalMs - TOP_SPANS.reduce((n, k) => n + sum(k), 0));
    phases.engineMs = round(out.stats.ms);
    phases.rowsScanned = out.stats.rowsScanned;
    const graphs = (repo as unknown as { graph: { indexes: GraphIndexes } }).graph.indexes;
    phases.graphIndexFrom = [...graphs.origins.keys()].join('+') || '-';
    return phases;
  } finally {
    for (const u of undo.reverse()) u();
    await repo.close();
  }
}
