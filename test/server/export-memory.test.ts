/**
 * POST /export in bounded memory: the same export from a real `lancelog serve` child
 * process over a graph of 20,000 rows and one of 200,000 rows (10×, ~60 MiB of
 * NDJSON), read by a slow client. The server runs with its JavaScript heap capped at
 * 64 MiB (a whole-table export of the large graph needs more than twice that and dies),
 * and its peak RSS growth during the export (VmHWM, reset just before it through
 * /proc/PID/clear_refs) is compared between the two graphs: every table is scanned in
 * batches and ordered by an external sort past a fixed budget. The output is checked
 * whole: every line, and each table in its documented order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJsonl, Repo } from '../../src/index.js';
import { makeFixtureRepo, rssBytes, spawnServer } from '../helpers/server.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-export-mem-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;
/** Rows of the fixture (4 people, 2 companies, 3 Knows, 2 WorksAt). */
const FIXTURE_ROWS = 11;
/** The server's JavaScript heap limit (old space), in MiB. */
const HEAP_CAP_MIB = 64;

/** The fixture repo plus `people` Person rows and `people - 1` Knows edges, in shuffled order. */
async function graphOf(name: string, people: number): Promise<string> {
  const dir = await makeFixtureRepo(join(root, name));
  const lines: string[] = [];
  // Names in an order that is not the sort order, so the export must sort.
  const nameOf = (i: number) => `person-${((i * 7919) % people).toString(36)}-${'x'.repeat(200)}`;
  for (let i = 0; i < people; i++)
    lines.push(`{"type":"Person","data":{"name":"${nameOf(i)}","age":${i % 90}}}`);
  for (let i = 1; i < people; i++)
    lines.push(
      `{"edge":"Knows","from":"${nameOf(i)}","to":"${nameOf(i - 1)}","data":{"since":"2020-01-${String((i % 28) + 1).padStart(2, '0')}"}}`,
    );
  const data = join(root, `${name}.jsonl`);
  await writeFile(data, `${lines.join('\n')}\n`);
  const repo = await Repo.open(dir);
  try {
    await loadJsonl(repo.operationContext(), { path: data }, { mode: 'merge' });
  } finally {
    await repo.close();
  }
  return dir;
}

/** Peak resident set size since the last reset (Linux VmHWM), in bytes. */
async function peakRssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

interface ExportRun {
  growthMiB: number;
  bytes: number;
  lines: string[];
  chunks: number;
}

/** One export from a fresh server, read slowly; the server's peak RSS growth during it. */
async function exportFromServer(dir: string): Promise<ExportRun> {
  const srv = await spawnServer(dir, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_CAP_MIB}`,
  });
  try {
    const pid = srv.child.pid!;
    const before = await rssBytes(pid);
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    const res = await fetch(`${srv.url}/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      bytes += chunk.length;
      // A slow reader: the server must wait for it (backpressure), not buffer ahead.
      if (++chunks % 16 === 0) await sleep(2);
    }
    const peak = await peakRssBytes(pid);
    return { growthMiB: (peak - before) / MiB, bytes, lines: text.trimEnd().split('\n'), chunks };
  } finally {
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
}

/** Checks every line is there and each table is in the export's order. */
function checkOrder(lines: string[], people: number): void {
  expect(lines).toHaveLength(FIXTURE_ROWS + people + (people - 1));
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
  const names = parsed.filter((l) => l.type === 'Person').map((l) => l.data.name as string);
  expect(names).toHaveLength(people + 4);
  expect(names.every((n, i) => i === 0 || names[i - 1] < n)).toBe(true);
  const knows = parsed.filter((l) => l.edge === 'Knows').map((l) => `${l.from}\u0000${l.to}`);
  expect(knows.every((k, i) => i === 0 || knows[i - 1] <= k)).toBe(true);
  // Node types, then edge types, in declaration order.
  const kinds = parsed.map((l) => (l.type ?? l.edge) as string);
  const runs = kinds.filter((k, i) => i === 0 || kinds[i - 1] !== k);
  expect(runs).toEqual(['Person', 'Company', 'Knows', 'WorksAt']);
}

describe('POST /export memory', () => {
  // Loading 220,000 rows takes minutes on a busy 2-core machine: a longer timeout (a hang guard only).
  it(
    'server RSS growth stays flat from 20,000 to 200,000 rows',
    { timeout: 1_500_000 },
    async () => {
      const SMALL = 10_000;
      const LARGE = 100_000;
      const small = await exportFromServer(await graphOf('small', SMALL));
      const large = await exportFromServer(await graphOf('large', LARGE));
      process.stderr.write(
        `export memory (heap cap ${HEAP_CAP_MIB} MiB): ${small.lines.length} lines, ${(small.bytes / MiB).toFixed(1)} MiB → +${small.growthMiB.toFixed(1)} MiB peak RSS; ` +
          `${large.lines.length} lines, ${(large.bytes / MiB).toFixed(1)} MiB (${large.chunks} chunks) → +${large.growthMiB.toFixed(1)} MiB\n`,
      );
      checkOrder(small.lines, SMALL);
      checkOrder(large.lines, LARGE);
      // 10× the rows (and bytes): a whole-table export holds every row and line of the
      // largest table; the bounded one holds one scan batch and a fixed sort budget, so
      // its growth is the small export's (code paged in, allocator and Lance read-ahead)
      // plus far less than the extra data.
      expect(large.bytes).toBeGreaterThan(small.bytes * 9);
      expect(large.growthMiB - small.growthMiB).toBeLessThan((large.bytes - small.bytes) / MiB / 2);
    },
  );
});
