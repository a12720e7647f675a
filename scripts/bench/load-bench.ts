/**
 * Measures one JSONL load (not part of the test suite): a fresh repo from the .pg,
 * `loadJsonl` in append mode, then wall time, rows/s and peak RSS.
 *
 *   node --max-old-space-size=16384 --import tsx scripts/bench/load-bench.ts --data /tmp/graph.jsonl --schema /tmp/graph.pg --repo /tmp/bench-repo [--chunk-rows N] [--chunk-bytes N] [--sample-ms N]
 *
 * `--chunk-bytes 1e15` forces the one-commit path; `--chunk-bytes 0` the chunked one
 * (docs/writes.md §Chunked loads).
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Repo, loadJsonl } from '../../src/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    schema: { type: 'string' },
    repo: { type: 'string' },
    mode: { type: 'string' },
    'chunk-rows': { type: 'string' },
    'chunk-bytes': { type: 'string' },
    'sample-ms': { type: 'string' },
  },
});
if (!values.data || !values.schema || !values.repo) {
  process.stderr.write(
    'usage: load-bench.ts --data f.jsonl --schema f.pg --repo dir [--mode append] [--chunk-rows N] [--chunk-bytes N]\n',
  );
  process.exit(2);
}
rmSync(values.repo, { recursive: true, force: true });
await Repo.init(values.repo, {
  schemaSource: readFileSync(values.schema, 'utf8'),
  schemaFile: values.schema,
});
const repo = await Repo.open(values.repo);
const started = Date.now();
let readDone = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 250);
// --sample-ms N: one line of memory figures every N ms on stderr, to see where memory grows.
const mib = (n: number): number => Math.round(n / 2 ** 20);
const sampleMs = Number(values['sample-ms'] ?? 0);
const memorySampler =
  sampleMs > 0
    ? setInterval(() => {
        const m = process.memoryUsage();
        process.stderr.write(
          `\nsample ${JSON.stringify({ s: (Date.now() - started) / 1000, rss: mib(m.rss), heap: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) })}\n`,
        );
      }, sampleMs)
    : undefined;
try {
  const r = await loadJsonl(
    repo.operationContext(),
    { path: values.data },
    {
      mode: (values.mode ?? 'append') as 'append',
      ...(values['chunk-rows'] ? { chunkRows: Number(values['chunk-rows']) } : {}),
      ...(values['chunk-bytes'] ? { chunkBytes: Number(values['chunk-bytes']) } : {}),
      onProgress: (b, t, lines) => {
        if (b === t && !readDone) readDone = Date.now();
        process.stderr.write(
          `\r${(b / 2 ** 20).toFixed(0)}/${((t ?? 0) / 2 ** 20).toFixed(0)} MiB ${lines} lines rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB   `,
        );
      },
    },
  );
  const secs = (Date.now() - started) / 1000;
  const rows =
    Object.values(r.nodes).reduce((a, b) => a + b, 0) +
    Object.values(r.edges).reduce((a, b) => a + b, 0);
  process.stderr.write('\n');
  process.stdout.write(
    `${JSON.stringify({
      file: values.data,
      mb: +(statSync(values.data).size / 2 ** 20).toFixed(1),
      rows,
      seconds: secs,
      readAndStageSeconds: readDone ? (readDone - started) / 1000 : null,
      rowsPerSecond: Math.round(rows / secs),
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      peakHeapMiB: Math.round(peakHeap / 2 ** 20),
      commitId: r.commitId,
      lanceCommits: Object.fromEntries(r.tables.map((t) => [t.tableKey, t.to - t.from])),
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  clearInterval(memorySampler);
  await repo.close();
}
