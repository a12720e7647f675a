/**
 * server: `lancelog serve` (a child process on loopback, `--log-level info`) against
 * the same work through the in-process API, on one repo:
 *  - a one-hop read (`friends_of`) with 8 requests in flight: reads/s and p99 latency;
 *  - the same read one request at a time (p50), and a no-op `GET /healthz` one at a
 *    time: the round trip HTTP costs before any engine work;
 *  - a one-row `/change` (an insert), one at a time (concurrent writes to one table
 *    conflict by design): changes/s.
 * Each run is a bounded loop (no load generator): `reads` requests, `changes` changes.
 * The two sides alternate (ABBA), median of the runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJsonl, Repo } from '../../src/index.js';
import {
  alternate,
  median,
  quantile,
  result,
  nowMs,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const DEFAULT_SCALE = 1;
const FULL = { people: 2000, reads: 400, changes: 40, inFlight: 8, runs: 5, warmup: 1 };
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

const PG = 'node Person { name: String @key\n age: I32? }\nedge Knows: Person -> Person\n';
const GQ = `
query friends_of($name: String) {
  match { $p: Person { name: $name }  $p knows $f }
  return { $f.name, $f.age }
}
query add_person($name: String, $age: I32) { insert Person { name: $name, age: $age } }
`;

async function makeRepo(dir: string, people: number): Promise<void> {
  await Repo.init(dir, { schemaSource: PG, schemaFile: 'bench.pg' });
  const lines: string[] = [];
  for (let i = 0; i < people; i++)
    lines.push(JSON.stringify({ type: 'Person', data: { name: `p${i}`, age: i % 90 } }));
  for (let i = 0; i < people; i++)
    for (const d of [1, 7, 31])
      lines.push(JSON.stringify({ edge: 'Knows', from: `p${i}`, to: `p${(i + d) % people}` }));
  const data = join(dir, '..', 'bench.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`);
  const repo = await Repo.open(dir);
  await loadJsonl(repo.operationContext(), { path: data }, { mode: 'merge' });
  await repo.close();
}

async function startChild(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'cli', 'main.ts'),
      'serve',
      dir,
      '--port',
      '0',
      '--log-level',
      'info',
      '--refresh-ms',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  let listening = false;
  const url = await new Promise<string>((res, rej) => {
    // Once the server listens its log is drained unread: scanning every request's log
    // lines here cost the client CPU that the HTTP side was then charged for.
    child.stdout!.on('data', (b: Buffer) => {
      if (listening) return;
      out += b.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) {
        listening = true;
        out = '';
        res(m[1]);
      }
    });
    child.on('exit', (code) => rej(new Error(`server exited ${code}`)));
  });
  return { child, url };
}

/** Runs `n` calls of `fn` with `inFlight` at a time; per-call latencies (ms) and total ms. */
async function loop(n: number, inFlight: number, fn: (i: number) => Promise<void>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const s = nowMs();
        await fn(i);
        lat.push(nowMs() - s);
      }
    }),
  );
  return { lat, totalMs: nowMs() - t0 };
}

async function get(url: string, path: string): Promise<void> {
  const res = await fetch(`${url}${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function post(url: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const people = Math.max(50, Math.round(FULL.people * scale));
  const reads = Math.max(20, Math.round(FULL.reads * Math.min(1, scale * 4)));
  const changes = Math.max(5, Math.round(FULL.changes * Math.min(1, scale * 4)));
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const { dir, cleanup } = workDir(opts.dir, 'server');
  const repoDir = join(dir, 'repo');
  await makeRepo(repoDir, people);
  const server = await startChild(repoDir);
  const repo = await Repo.open(repoDir);
  let seq = 0;
  const readArgs = (i: number) => ({
    name: 'friends_of',
    params: { name: `p${(i * 13) % people}` },
  });
  try {
    const r = {
      http: { rate: [] as number[], lat: [] as number[] },
      api: { rate: [] as number[], lat: [] as number[] },
    };
    const readSides = {
      http: async () => {
        const x = await loop(reads, FULL.inFlight, (i) =>
          post(server.url, '/read', {
            query_source: GQ,
            query_name: 'friends_of',
            params: readArgs(i).params,
          }),
        );
        r.http.lat.push(quantile(x.lat, 0.99));
        return (reads * 1000) / x.totalMs;
      },
      api: async () => {
        const x = await loop(reads, FULL.inFlight, async (i) => {
          await repo.query({ source: GQ, file: 'bench.gq', ...readArgs(i) });
        });
        r.api.lat.push(quantile(x.lat, 0.99));
        return (reads * 1000) / x.totalMs;
      },
    };
    const readRates = await alternate(readSides, {
      runs,
      warmup: FULL.warmup,
      log: opts.log,
      label: 'server reads',
    });
    // One request at a time: a read's latency, and a no-op round trip (GET /healthz) over
    // the same connection, which is what HTTP costs before any engine work.
    const serial = { http: [] as number[], api: [] as number[], noop: [] as number[] };
    for (let run = 0; run < runs; run++) {
      const n = Math.max(20, Math.round(reads / 4));
      serial.noop.push(quantile((await loop(n, 1, () => get(server.url, '/healthz'))).lat, 0.5));
      const http = await loop(n, 1, (i) =>
        post(server.url, '/read', {
          query_source: GQ,
          query_name: 'friends_of',
          params: readArgs(i).params,
        }),
      );
      serial.http.push(quantile(http.lat, 0.5));
      const api = await loop(n, 1, async (i) => {
        await repo.query({ source: GQ, file: 'bench.gq', ...readArgs(i) });
      });
      serial.api.push(quantile(api.lat, 0.5));
    }
    const changeRates = await alternate(
      {
        http: async () => {
          const x = await loop(changes, 1, () =>
            post(server.url, '/change', {
              query_source: GQ,
              query_name: 'add_person',
              params: { name: `h${seq++}`, age: 1 },
            }),
          );
          return (changes * 1000) / x.totalMs;
        },
        api: async () => {
          const x = await loop(changes, 1, async () => {
            await repo.change({
              source: GQ,
              file: 'bench.gq',
              name: 'add_person',
              params: { name: `a${seq++}`, age: 1 },
            });
          });
          return (changes * 1000) / x.totalMs;
        },
      },
      { runs, warmup: FULL.warmup, log: opts.log, label: 'server changes' },
    );
    const skip = FULL.warmup;
    const common = {
      name: 'server',
      runs,
      baselineIs: 'the same work through the in-process API (Repo)',
    };
    const extra = { people, reads, changes, inFlight: FULL.inFlight, serverLogLevel: 'info' };
    return [
      result({
        ...common,
        metric: 'read_1hop_per_s',
        lancelog: median(readRates.http),
        baseline: median(readRates.api),
        unit: 'reads/s',
        extra,
      }),
      result({
        ...common,
        metric: 'read_1hop_p99_ms',
        lancelog: median(r.http.lat.slice(skip)),
        baseline: median(r.api.lat.slice(skip)),
        unit: 'ms',
        extra,
      }),
      result({
        ...common,
        metric: 'read_1hop_serial_p50_ms',
        lancelog: median(serial.http),
        baseline: median(serial.api),
        unit: 'ms',
        extra,
      }),
      result({
        ...common,
        metric: 'noop_roundtrip_p50_ms',
        lancelog: median(serial.noop),
        baseline: median(serial.http),
        unit: 'ms',
        baselineIs:
          'the serial one-hop /read over HTTP (the share of it a no-op GET /healthz already costs)',
        extra,
      }),
      result({
        ...common,
        metric: 'change_per_s',
        lancelog: median(changeRates.http),
        baseline: median(changeRates.api),
        unit: 'changes/s',
        extra,
      }),
    ];
  } finally {
    await repo.close();
    server.child.kill('SIGTERM');
    await new Promise((res) => server.child.once('exit', res));
    cleanup();
  }
}
