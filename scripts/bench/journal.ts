/**
 * journal: events per second appended — one event per SQLite transaction (the write
 * protocol's public Journal methods: begin, lease, intent, commit started, committed,
 * publish, complete = 7 events per operation) and batched (the same 7-event sequences,
 * `batch` events per transaction, through `Journal.appendEvents`: zod-checked, evolved,
 * projected) — and replayed by `journal verify`.
 *
 * Baseline: raw better-sqlite3 INSERTs of the same rows (same columns, same payload
 * JSON) into an identical `events` table with the same pragmas (WAL,
 * synchronous=FULL), with the same transaction boundaries; for replay, a raw
 * `SELECT … ORDER BY seq` + JSON.parse of every payload. The baseline lives here,
 * not in src/: it is a bench of SQLite itself (the layer rule that keeps
 * better-sqlite3 inside src/journal/ is about the product's sources).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal, type EventBody } from '../../src/journal/index.js';
import { newId, nowUs } from '../../src/journal/clock.js';
import {
  alternate,
  median,
  nowMs,
  result,
  round,
  scaled,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const FULL = {
  singleOpsPerRun: 100,
  batchOpsPerRun: 2000,
  batchEvents: 1000,
  replayEvents: 1_000_000,
  runs: 7,
  warmup: 1,
  /**
   * Batched: warm-up rounds cover at least this many events per side. At the default
   * scale a run is 1,400 events, and one such round left the lancelog side (JavaScript:
   * zod, evolve, row diff) measured while the JIT was still compiling it, against a raw
   * side that is native code from the first row: the ratio read ~0.25 where the warm
   * steady state (and scale 1, whose single warm-up round is 14,000 events) reads ~0.5.
   */
  batchWarmupEvents: 10_000,
};
export const DEFAULT_SCALE = 0.1;
const TABLE = 'node:Person';
const OWNER = { pid: process.pid, host: hostname() };

interface Row {
  opId: string;
  timeUs: number;
  kind: string;
  branch: string;
  tableKey: string | null;
  payload: unknown;
}

/** The 7 events of one single-table operation (as the protocol writes them). */
function opEvents(opId: string, version: number, mv: number): Row[] {
  const t = nowUs();
  const ev = (kind: string, payload: unknown, tableKey: string | null = null): Row => ({
    opId,
    timeUs: t,
    kind,
    branch: 'main',
    tableKey,
    payload,
  });
  return [
    ev('op.begun', { kind: 'Mutation', branch: 'main', actor: 'bench', owner: OWNER }),
    ev('lease.acquired', {
      tables: [{ table_key: TABLE, branch: 'main' }],
      owner: { ...OWNER, leaseId: opId },
      heartbeat_us: t,
    }),
    ev('op.intent_recorded', {
      tables: [
        {
          table_key: TABLE,
          lance_branch: null,
          expected_version: version,
          post_commit_version: version + 1,
        },
      ],
    }),
    ev('table.commit_started', { table_key: TABLE }, TABLE),
    ev('table.committed', { table_key: TABLE, version: version + 1 }, TABLE),
    ev('op.published', {
      manifest_version: mv,
      commit_id: newId(),
      pins: [{ table_key: TABLE, version: version + 1, lance_branch: null }],
      actor: 'bench',
      message: null,
      merged_parent_id: null,
    }),
    ev('op.completed', {}),
  ];
}

export class LancelogSide {
  readonly journal: Journal;
  private version = 1;
  private mv: number;
  constructor(dir: string) {
    this.journal = Journal.create(dir, {
      tables: [{ tableKey: TABLE, version: 1 }],
      actor: 'bench',
    });
    this.mv = this.journal.snapshot({ branch: 'main' }).manifestVersion;
  }
  /** One operation through the public protocol methods: 7 SQLite transactions. */
  singleOp(): number {
    const j = this.journal;
    const opId = j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'bench' });
    j.acquireLeases(opId, [{ tableKey: TABLE, branch: 'main', expectedVersion: this.version }]);
    j.recordIntent(opId, [
      {
        tableKey: TABLE,
        lanceBranch: null,
        expectedVersion: this.version,
        postCommitVersion: this.version + 1,
      },
    ]);
    j.tableCommitStarted(opId, TABLE);
    j.tableCommitted(opId, TABLE, this.version + 1);
    j.publish({
      opId,
      branch: 'main',
      actor: 'bench',
      tables: [
        {
          tableKey: TABLE,
          expectedVersion: this.version,
          newVersion: this.version + 1,
          lanceBranch: null,
        },
      ],
    });
    j.completeOperation(opId);
    this.version++;
    this.mv++;
    return 7;
  }
  /** `ops` operations' events in transactions of `batch` events (zod-parsed, evolved, projected). */
  batchedOps(ops: number, batch: number): number {
    const rows: Row[] = [];
    for (let i = 0; i < ops; i++) {
      rows.push(...opEvents(newId(), this.version, this.mv + 1));
      this.version++;
      this.mv++;
    }
    for (let i = 0; i < rows.length; i += batch) {
      this.journal.appendEvents(
        rows.slice(i, i + batch).map((r) => ({
          opId: r.opId,
          branch: r.branch,
          tableKey: r.tableKey,
          body: { kind: r.kind, payload: r.payload } as EventBody,
        })),
      );
    }
    return rows.length;
  }
}

export class RawSide {
  readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private version = 1;
  private mv = 1;
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, time_us INTEGER NOT NULL, kind TEXT NOT NULL,
      branch TEXT NOT NULL, table_key TEXT, payload TEXT NOT NULL CHECK (json_valid(payload)));
      CREATE INDEX events_by_op ON events (op_id, seq);
      CREATE INDEX events_by_kind ON events (kind, seq);
      CREATE INDEX events_by_time ON events (time_us);`);
    this.insert = this.db.prepare(
      'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }
  private put(r: Row): void {
    this.insert.run(r.opId, r.timeUs, r.kind, r.branch, r.tableKey, JSON.stringify(r.payload));
  }
  singleOp(): number {
    const rows = opEvents(newId(), this.version++, ++this.mv);
    const one = this.db.transaction((r: Row) => this.put(r));
    for (const r of rows) one.immediate(r);
    return rows.length;
  }
  batchedOps(ops: number, batch: number): number {
    const rows: Row[] = [];
    for (let i = 0; i < ops; i++) rows.push(...opEvents(newId(), this.version++, ++this.mv));
    const many = this.db.transaction((rs: Row[]) => {
      for (const r of rs) this.put(r);
    });
    for (let i = 0; i < rows.length; i += batch) many.immediate(rows.slice(i, i + batch));
    return rows.length;
  }
  replay(): number {
    let n = 0;
    for (const r of this.db
      .prepare(
        'SELECT seq, op_id, time_us, kind, branch, table_key, payload FROM events ORDER BY seq',
      )
      .iterate() as Iterable<{ payload: string }>) {
      JSON.parse(r.payload);
      n++;
    }
    return n;
  }
}

async function rate(fn: () => number): Promise<number> {
  const t0 = nowMs();
  const n = fn();
  return n / ((nowMs() - t0) / 1000);
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'journal');
  const ll = new LancelogSide(join(work.dir, 'lancelog'));
  const raw = new RawSide(join(work.dir, 'raw.db'));
  try {
    const singleOps = scaled(FULL.singleOpsPerRun, scale, 3);
    const batchOps = scaled(FULL.batchOpsPerRun, scale, 20);
    log(`journal: one event per transaction, ${singleOps * 7} events per run`);
    const single = await alternate(
      {
        lancelog: async () =>
          rate(() => {
            let n = 0;
            for (let i = 0; i < singleOps; i++) n += ll.singleOp();
            return n;
          }),
        baseline: async () =>
          rate(() => {
            let n = 0;
            for (let i = 0; i < singleOps; i++) n += raw.singleOp();
            return n;
          }),
      },
      { runs, warmup: FULL.warmup, log, label: 'single' },
    );
    log(`journal: batched, ${batchOps * 7} events per run, ${FULL.batchEvents} per transaction`);
    const batched = await alternate(
      {
        lancelog: async () => rate(() => ll.batchedOps(batchOps, FULL.batchEvents)),
        baseline: async () => rate(() => raw.batchedOps(batchOps, FULL.batchEvents)),
      },
      {
        runs,
        warmup: Math.max(FULL.warmup, Math.ceil(FULL.batchWarmupEvents / (batchOps * 7))),
        log,
        label: 'batched',
      },
    );

    // Grow both logs to the replay size (batched), then replay.
    const target = scaled(FULL.replayEvents, scale, 500);
    let have = ll.journal.verify().events;
    const tFill = nowMs();
    while (have < target) {
      have += ll.batchedOps(Math.min(2000, Math.ceil((target - have) / 7)), FULL.batchEvents);
    }
    let rawHave = (raw.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    while (rawHave < have)
      rawHave += raw.batchedOps(Math.min(2000, Math.ceil((have - rawHave) / 7)), FULL.batchEvents);
    log(
      `journal: ${have} events (filled in ${((nowMs() - tFill) / 1000).toFixed(1)} s); replaying`,
    );
    const replayRuns = Math.max(5, Math.min(runs, 5));
    let verifyOk = true;
    const replay = await alternate(
      {
        lancelog: async () =>
          rate(() => {
            const r = ll.journal.verify();
            verifyOk &&= r.ok;
            return r.events;
          }),
        baseline: async () => rate(() => raw.replay()),
      },
      { runs: replayRuns, warmup: 1, log, label: 'replay' },
    );
    return [
      result({
        name: 'journal',
        metric: 'append_events_per_s_one_per_tx',
        lancelog: median(single.lancelog),
        baseline: median(single.baseline),
        unit: 'events/s',
        baselineIs:
          'raw better-sqlite3 INSERT of the same rows, one per transaction (WAL, synchronous=FULL)',
        runs,
        extra: {
          eventsPerRun: singleOps * 7,
          lancelogOpsPerS: round(median(single.lancelog) / 7, 1),
        },
      }),
      result({
        name: 'journal',
        metric: 'append_events_per_s_batched',
        lancelog: median(batched.lancelog),
        baseline: median(batched.baseline),
        unit: 'events/s',
        baselineIs: `raw better-sqlite3 INSERT of the same rows, ${FULL.batchEvents} per transaction`,
        runs,
        extra: { eventsPerRun: batchOps * 7, eventsPerTransaction: FULL.batchEvents },
      }),
      result({
        name: 'journal',
        metric: 'replay_events_per_s_verify',
        lancelog: median(replay.lancelog),
        baseline: median(replay.baseline),
        unit: 'events/s',
        baselineIs: 'raw SELECT of every event + JSON.parse of its payload',
        runs: replayRuns,
        extra: {
          events: have,
          verifyOk,
          lancelogVerifySeconds: round(have / median(replay.lancelog), 2),
        },
      }),
    ];
  } finally {
    ll.journal.close();
    raw.db.close();
    work.cleanup();
  }
}
