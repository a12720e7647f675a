/**
 * scaleout: a repo whose tables live on S3-compatible storage (docs/deployment.md),
 * against a real S3 server on 127.0.0.1 (scripts/s3-server.ts, in this process).
 *
 * 1. A 1-row keyed upsert through `repo.transaction` ÷ raw lancedb `mergeInsert` of the
 *    same row into an identical table on the same server; the object-store requests
 *    per write of each side (GET / PUT / LIST / HEAD, counted at the server).
 * 2. History: the same upsert after `commits` more commits ÷ after 10 (time and
 *    requests per write; target ≤ 1.1×).
 *
 * Both sides alternate (lib.ts `alternate`); the server shares the process, so both
 * pay its cost alike. Run: `npm run bench -- scaleout [--scale S] [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Repo } from '../../src/index.js';
import { arrowSchemaFor, compileSchema } from '../../src/schema/index.js';
import {
  lanceStorageOptions,
  RawLance,
  s3Location,
  type RawLanceTable,
} from '../../src/storage/index.js';
import { startS3Server, type RequestKind, type S3TestServer } from '../s3-server.js';
import {
  median,
  result,
  scaled,
  timeIt,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';
import { personRow, WRITE_PG } from './fixtures.js';

export const FULL = { seed: 10_000, runs: 41, warmup: 5, commits: 5_000 };
export const DEFAULT_SCALE = 0.02;

const KINDS: RequestKind[] = ['GET', 'PUT', 'LIST', 'HEAD', 'DELETE', 'POST'];

interface Sample {
  ms: number;
  requests: Record<string, number>;
}

/** One write, timed, with the requests the server saw during it. */
async function measured(server: S3TestServer, write: () => Promise<unknown>): Promise<Sample> {
  const before = { ...server.counts };
  const ms = await timeIt(write);
  const requests = Object.fromEntries(KINDS.map((k) => [k, server.counts[k] - before[k]]));
  return { ms, requests };
}

function medians(samples: Sample[]): { ms: number; requests: Record<string, number> } {
  return {
    ms: median(samples.map((s) => s.ms)),
    requests: Object.fromEntries(KINDS.map((k) => [k, median(samples.map((s) => s.requests[k]))])),
  };
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

async function sides(server: S3TestServer, journalDir: string, seed: number) {
  const env = { ...process.env, ...server.env };
  Object.assign(process.env, server.env);
  const uri = `s3://${server.bucket}/lancelog`;
  await Repo.init(uri, { schemaSource: WRITE_PG, schemaFile: 'bench.pg', journal: journalDir });
  const repo = await Repo.open(journalDir);
  const rawUri = `s3://${server.bucket}/raw`;
  const raw = await RawLance.connect(rawUri, lanceStorageOptions(s3Location(rawUri, env)));
  const catalog = compileSchema(WRITE_PG, 'bench.pg');
  const person = await raw.createEmptyTable('person', arrowSchemaFor(catalog.nodes[0]));
  const rows = Array.from({ length: seed }, (_, i) => personRow(i));
  await repo.transaction((tx) => {
    for (const r of rows) tx.insert('Person', r);
  });
  await person.add(rows.map((r) => ({ id: r.name, ...r })));
  return { repo, raw, person };
}

async function rounds(
  server: S3TestServer,
  repo: Repo,
  person: RawLanceTable | null,
  n: { runs: number; warmup: number; seed: number; salt: number },
): Promise<{ lancelog: Sample[]; baseline: Sample[] }> {
  const out = { lancelog: [] as Sample[], baseline: [] as Sample[] };
  for (let r = 0; r < n.warmup + n.runs; r++) {
    const p = personRow(r % n.seed, n.salt + r);
    const ll = () => measured(server, () => repo.transaction((tx) => tx.upsert('Person', p)));
    const bl = () =>
      person === null ? null : measured(server, () => person.mergeInsert([{ id: p.name, ...p }]));
    let a: Sample;
    let b: Sample | null;
    if (r % 2 === 0) {
      a = await ll();
      b = await bl();
    } else {
      b = await bl();
      a = await ll();
    }
    if (r < n.warmup) continue;
    out.lancelog.push(a);
    if (b !== null) out.baseline.push(b);
  }
  return out;
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? scaled(FULL.runs, Math.max(scale, 0.5), 5));
  const seed = scaled(FULL.seed, scale, 100);
  const commits = opts.commits ?? scaled(FULL.commits, scale, 50);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'scaleout');
  const serverDir = mkdtempSync(join(tmpdir(), 'lancelog-bench-s3-'));
  const server = await startS3Server(serverDir, 'bench');
  const { repo, raw, person } = await sides(server, join(work.dir, 'journal'), seed);
  try {
    log(
      `scaleout: 1-row upsert, seed ${seed} rows, ${FULL.warmup} warm-up + ${runs} runs per side`,
    );
    const n = { runs, warmup: FULL.warmup, seed, salt: 1 };
    const first = await rounds(server, repo, person, n);
    const ll = medians(first.lancelog);
    const bl = medians(first.baseline);
    const out = [
      result({
        name: 'scaleout',
        metric: '1-row upsert on S3 (SQLite journal) vs raw mergeInsert on the same server',
        lancelog: ll.ms,
        baseline: bl.ms,
        unit: 'ms',
        baselineIs: 'raw lancedb mergeInsert, same S3 server',
        runs,
        extra: { requestsPerWrite: { lancelog: ll.requests, baseline: bl.requests }, seed },
      }),
      result({
        name: 'scaleout',
        metric: 'object-store requests per 1-row upsert',
        lancelog: total(ll.requests),
        baseline: total(bl.requests),
        unit: 'requests',
        baselineIs: 'raw lancedb mergeInsert, same S3 server',
        runs,
      }),
    ];
    log(`scaleout: ${commits} more commits of history on both sides`);
    for (let i = 0; i < commits; i++) {
      const p = personRow(i % seed, 10_000 + i);
      await repo.transaction((tx) => tx.upsert('Person', p));
      await person.mergeInsert([{ id: p.name, ...p }]);
    }
    const second = await rounds(server, repo, person, { ...n, salt: 20_000 });
    const later = medians(second.lancelog);
    const rawLater = medians(second.baseline);
    // Each upsert leaves one more fragment (no compaction here): a mergeInsert reads the
    // key column of every fragment, on both sides alike; the raw side shows that part.
    const extra = {
      commitsBetween: commits,
      early: ll,
      late: later,
      raw: { early: bl, late: rawLater, timeRatio: rawLater.ms / bl.ms },
      rawRequestsRatio: total(rawLater.requests) / total(bl.requests),
    };
    out.push(
      result({
        name: 'scaleout',
        metric: `1-row upsert on S3 after ${commits} more commits vs early`,
        lancelog: later.ms,
        baseline: ll.ms,
        unit: 'ms',
        baselineIs: 'the same upsert early in the history',
        runs,
        target: { kind: 'ratio<=', value: 1.1 },
        extra,
      }),
      result({
        name: 'scaleout',
        metric: `requests per upsert after ${commits} more commits vs early`,
        lancelog: total(later.requests),
        baseline: total(ll.requests),
        unit: 'requests',
        baselineIs: 'the same upsert early in the history',
        runs,
        target: { kind: 'ratio<=', value: 1.1 },
        extra,
      }),
    );
    return out;
  } finally {
    person.close();
    raw.close();
    await repo.close();
    await server.close();
    rmSync(serverDir, { recursive: true, force: true });
    work.cleanup();
  }
}
