/**
 * json: exact JSON parsing (src/json-exact.ts) against `JSON.parse`, on texts with runs
 * of 16+ digits (issue 28 item 5: one such run used to send a whole line through
 * lossless-json, 10× the time of JSON.parse on a 50 MB line).
 *
 *  1. One line of 50 MB (× scale) per input kind — one 16-digit run in ordinary data,
 *     vectors of long floats (what embedding data holds), 16+ digit runs inside
 *     strings, 64-bit integers beyond 2^53 in 1 record of 1000, and in every record —
 *     parsed by `parseJsonExact` vs `JSON.parse` (alternating, median of the CPU time
 *     of each parse after a full collection; wall time in extra). Target ≤ 1.5.
 *     `previous_cpu_ms` (extra) is the old algorithm: `JSON.parse`, then lossless-json
 *     when the text has a run of 16 digits.
 *  2. The same kinds as JSONL (records one per line, 50 MB × scale), every line parsed.
 *  3. The longest event-loop stall during a 31 MB (× scale) `POST /ingest` whose lines
 *     hold 16+ digit runs (a phone number string and an I64 beyond 2^53 per record), vs
 *     the same rows without them, through a real `lancelog serve` in this process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { isInteger, isSafeNumber, parse as losslessParse } from 'lossless-json';
import { Repo } from '../../src/index.js';
import { parseJsonExact } from '../../src/json-exact.js';
import { startServer } from '../../src/server/index.js';
import {
  alternate,
  median,
  result,
  round,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const DEFAULT_SCALE = 0.2;
const LINE_BYTES = 50e6;
const INGEST_BYTES = 31e6;
const TARGET = { kind: 'ratio<=', value: 1.5 } as const;

/** The algorithm before issue 28, kept here as a reference point. */
function previous(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!/\d{16}/.test(text)) return value;
  return losslessParse(text, null, {
    parseNumber: (s: string) => (!isSafeNumber(s) && isInteger(s) ? BigInt(s) : Number(s)),
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

const KINDS: Record<string, (i: number) => string> = {
  'one-run': (i) => `{"id":"n${i}","name":"person number ${i}","age":${i % 90}}`,
  'long-floats': (i) =>
    `{"id":"n${i}","v":[${Array.from({ length: 8 }, (_, k) => String(Math.sin(i * 8 + k) / 3)).join(',')}]}`,
  'digit-strings': (i) =>
    `{"id":"n${i}","phone":"+1 ${4155550000000000 + i}","note":"ref 1234567890123456789"}`,
  'i64-sparse': (i) =>
    i % 1000 === 0
      ? `{"id":"n${i}","big":${9007199254740993n + BigInt(i)}}`
      : `{"id":"n${i}","name":"person number ${i}","age":${i % 90}}`,
  'i64-dense': (i) => `{"id":"n${i}","big":${9007199254740993n + BigInt(i)},"small":${i}}`,
};

function records(kind: string, bytes: number): string[] {
  const out: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const r = KINDS[kind](i);
    out.push(r);
    size += r.length + 1;
  }
  // One run of 16 digits in the middle of ordinary data (what the hostile probe sent).
  if (kind === 'one-run') out[out.length >> 1] = '{"id":"x","big":1234567890123456}';
  return out;
}

/** V8's collector, so that one side's garbage is not collected on the other side's clock. */
function collector(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}
const gc = collector();

/**
 * One parse, after a full collection: the CPU time it took (this process, every thread:
 * a parse's own collections count) and its wall time. CPU time is the figure compared:
 * on a shared machine the wall clock mostly measures the other processes.
 */
function measure(parse: () => unknown): { cpuMs: number; wallMs: number } {
  gc();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  parse();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs };
}

async function compare(
  label: string,
  parse: Record<'lancelog' | 'baseline' | 'previous', () => unknown>,
  o: { runs: number; log?: (m: string) => void; bytes: number },
): Promise<BenchResult> {
  const wall: Record<'lancelog' | 'baseline', number[]> = { lancelog: [], baseline: [] };
  const side = (name: 'lancelog' | 'baseline') => () => {
    const m = measure(parse[name]);
    wall[name].push(m.wallMs);
    return Promise.resolve(m.cpuMs);
  };
  const samples = await alternate(
    { lancelog: side('lancelog'), baseline: side('baseline') },
    { runs: o.runs, warmup: 1, log: o.log, label },
  );
  const previousMs = median([measure(parse.previous).cpuMs, measure(parse.previous).cpuMs]);
  return result({
    name: 'json',
    metric: label,
    lancelog: median(samples.lancelog),
    baseline: median(samples.baseline),
    unit: 'ms CPU',
    baselineIs: 'JSON.parse of the same text (lossy beyond 2^53)',
    runs: o.runs,
    target: TARGET,
    extra: {
      megabytes: round(o.bytes / 1e6, 1),
      previous_cpu_ms: round(previousMs, 1),
      wall_ms: {
        lancelog: round(median(wall.lancelog), 1),
        baseline: round(median(wall.baseline), 1),
      },
    },
  });
}

async function parsing(o: BenchOptions, runs: number): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const kind of Object.keys(KINDS)) {
    const rows = records(kind, LINE_BYTES * (o.scale ?? DEFAULT_SCALE));
    const line = `{"type":"Doc","data":{"rows":[${rows.join(',')}]}}`;
    out.push(
      await compare(
        `one line: ${kind}`,
        {
          lancelog: () => parseJsonExact(line),
          baseline: () => JSON.parse(line),
          previous: () => previous(line),
        },
        { runs, log: o.log, bytes: line.length },
      ),
    );
    const lines = rows.map((r) => `{"type":"Doc","data":${r}}`);
    const each = (f: (t: string) => unknown) => () => {
      for (const l of lines) f(l);
    };
    out.push(
      await compare(
        `jsonl lines: ${kind}`,
        {
          lancelog: each(parseJsonExact),
          baseline: each((t) => JSON.parse(t)),
          previous: each(previous),
        },
        { runs, log: o.log, bytes: lines.reduce((n, l) => n + l.length + 1, 0) },
      ),
    );
  }
  return out;
}

const INGEST_PG = 'node Person {\n  name: String @key\n  phone: String?\n  big: I64?\n}\n';

function ingestData(longDigits: boolean, bytes: number): string {
  const lines: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const data = longDigits
      ? `{"name":"p${i}","phone":"+1 ${4155550000000000 + i}","big":${9007199254740993n + BigInt(i)}}`
      : `{"name":"p${i}","phone":"+1 415-555-${String(i % 10000).padStart(4, '0')}","big":${i}}`;
    const line = `{"type":"Person","data":${data}}`;
    lines.push(line);
    // The size of the line inside the request body: every quote is escaped there.
    size += line.length + 2 + line.split('"').length - 1;
  }
  return `${lines.join('\n')}\n`;
}

/** The longest event-loop stall (ms) while the server ingests `data` into a fresh branch. */
async function ingestStall(url: string, data: string, branch: string): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const res = await fetch(`${url}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data, branch, mode: 'append' }),
  });
  await res.text();
  h.disable();
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
  return h.max / 1e6;
}

async function ingest(o: BenchOptions, runs: number): Promise<BenchResult> {
  const { dir, cleanup } = workDir(o.dir, 'json');
  const repoDir = join(dir, 'repo');
  await Repo.init(repoDir, { schemaSource: INGEST_PG, schemaFile: 'bench.pg' });
  const srv = await startServer({
    repo: repoDir,
    port: 0,
    handleSignals: false,
    refreshMs: 0,
    env: {},
    logger: false,
  });
  try {
    const bytes = INGEST_BYTES * (o.scale ?? DEFAULT_SCALE);
    // Bodies of `bytes` (the /ingest limit is 32 MiB).
    const body = { long: ingestData(true, bytes), plain: ingestData(false, bytes) };
    let n = 0;
    const samples = await alternate(
      {
        lancelog: () => ingestStall(srv.url, body.long, `long-${n++}`),
        baseline: () => ingestStall(srv.url, body.plain, `plain-${n++}`),
      },
      { runs, warmup: 1, log: o.log, label: 'ingest stall' },
    );
    return result({
      name: 'json',
      metric: 'POST /ingest: longest event-loop stall',
      lancelog: median(samples.lancelog),
      baseline: median(samples.baseline),
      unit: 'ms',
      baselineIs: 'the same rows without 16+ digit runs',
      runs,
      target: TARGET,
      extra: {
        body_megabytes: round(JSON.stringify({ data: body.long }).length / 1e6, 1),
        max_ms: round(Math.max(...samples.lancelog), 1),
      },
    });
  } finally {
    await srv.close();
    cleanup();
  }
}

export async function run(o: BenchOptions): Promise<BenchResult[]> {
  const runs = o.runs ?? 5;
  return [...(await parsing(o, runs)), await ingest(o, Math.min(runs, 5))];
}
