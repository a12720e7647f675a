/**
 * Journal CPU per one-table write: `node --import tsx scripts/bench/journal-cpu.ts
 * [writes] [protocol]`. Runs `writes` one-table writes through the journal alone (no
 * Lance), after 50 warm-up writes, and prints CPU (user + system, `process.cpuUsage`)
 * and wall time per write. protocol `start` (default): the write protocol's journal
 * calls since issue 15 (startOperation, then publish with the committed table and
 * op.completed: 2 transactions); `separate`: begin, leases, intent, publish (4);
 * `raw`: the floor — raw better-sqlite3 INSERTs of the same 7 event rows into an
 * identical `events` table (same pragmas: WAL, synchronous=FULL) in the same two
 * fsync'd transactions (4 rows, then 3), no projections. Journal CPU above SQLite's
 * own = `start` − `raw` (both include the kernel time of the two fsyncs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal } from '../../src/journal/index.js';
import { newId, nowUs } from '../../src/journal/clock.js';

const TABLE = 'node:Person';
const writes = Number(process.argv[2] ?? 200);
const protocol = process.argv[3] ?? 'start';
const dir = mkdtempSync(join(tmpdir(), 'journal-cpu-'));
const journal = Journal.create(dir, { tables: [{ tableKey: TABLE, version: 1 }], actor: 'bench' });
let version = 1;

const raw = protocol === 'raw' ? rawDb() : undefined;

function rawDb() {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, time_us INTEGER NOT NULL, kind TEXT NOT NULL,
    branch TEXT NOT NULL, table_key TEXT, payload TEXT NOT NULL CHECK (json_valid(payload)));
    CREATE INDEX events_by_op ON events (op_id, seq);
    CREATE INDEX events_by_kind ON events (kind, seq);
    CREATE INDEX events_by_time ON events (time_us);`);
  const insert = db.prepare(
    'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
  );
  type Row = [kind: string, tableKey: string | null, payload: unknown];
  return db.transaction((opId: string, rows: Row[]) => {
    for (const [kind, tableKey, payload] of rows)
      insert.run(opId, nowUs(), kind, 'main', tableKey, JSON.stringify(payload));
  });
}

/** The same 7 event rows as one write, raw, in the same two transactions. */
function rawWrite(tx: NonNullable<typeof raw>): void {
  const opId = newId();
  const owner = { pid: process.pid, host: hostname() };
  const pin = { table_key: TABLE, lance_branch: null };
  tx.immediate(opId, [
    ['op.begun', null, { kind: 'Mutation', branch: 'main', actor: 'bench', owner }],
    [
      'lease.acquired',
      null,
      {
        tables: [{ table_key: TABLE, branch: 'main' }],
        owner: { ...owner, leaseId: opId },
        heartbeat_us: nowUs(),
      },
    ],
    [
      'op.intent_recorded',
      null,
      { tables: [{ ...pin, expected_version: version, post_commit_version: version + 1 }] },
    ],
    ['table.commit_started', TABLE, { table_key: TABLE }],
  ]);
  tx.immediate(opId, [
    ['table.committed', TABLE, { table_key: TABLE, version: version + 1 }],
    [
      'op.published',
      null,
      {
        manifest_version: version + 1,
        commit_id: newId(),
        pins: [{ ...pin, version: version + 1 }],
        actor: 'bench',
        message: null,
        merged_parent_id: null,
      },
    ],
    ['op.completed', null, {}],
  ]);
  version++;
}

function oneWrite(): void {
  if (raw) return rawWrite(raw);
  const lease = [{ tableKey: TABLE, branch: 'main', expectedVersion: version }];
  const intent = [
    {
      tableKey: TABLE,
      lanceBranch: null,
      expectedVersion: version,
      postCommitVersion: version + 1,
    },
  ];
  const begin = { kind: 'Mutation' as const, branch: 'main', actor: 'bench' };
  let opId: string;
  if (protocol === 'separate') {
    opId = journal.beginOperation(begin);
    journal.acquireLeases(opId, lease, { pid: process.pid, host: hostname(), leaseId: opId });
    journal.recordIntent(opId, intent, { commitStarted: TABLE });
  } else {
    opId = Journal.newOperationId();
    const owner = { pid: process.pid, host: hostname(), leaseId: opId };
    journal.startOperation({ ...begin, opId }, lease, owner, intent, [TABLE]);
  }
  journal.snapshot({ branch: 'main' });
  journal.publish({
    opId,
    branch: 'main',
    actor: 'bench',
    tables: [
      { tableKey: TABLE, expectedVersion: version, newVersion: version + 1, lanceBranch: null },
    ],
    committed: [{ tableKey: TABLE, version: version + 1 }],
    complete: true,
  });
  version++;
}

for (let i = 0; i < 50; i++) oneWrite();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < writes; i++) oneWrite();
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const per = (us: number) => (us / 1000 / writes).toFixed(3);
console.log(
  JSON.stringify({
    protocol,
    writes,
    cpu_ms_per_write: per(cpu.user + cpu.system),
    user_ms_per_write: per(cpu.user),
    system_ms_per_write: per(cpu.system),
    wall_ms_per_write: (wallMs / writes).toFixed(3),
  }),
);
journal.close();
rmSync(dir, { recursive: true, force: true });
