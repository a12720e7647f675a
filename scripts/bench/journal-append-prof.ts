/**
 * Profile helper for the batched append path (not part of `npm run bench`):
 * `node [--cpu-prof] --import tsx scripts/bench/journal-append-prof.ts [ops] [batch]
 * [verify|noverify] [rounds]`. Each round appends `ops` 7-event operations through
 * `Journal.appendEvents` in transactions of `batch` events, then the same rows as raw
 * better-sqlite3 INSERTs (identical `events` table, same pragmas, same transaction
 * size), and prints both rates and their ratio; the median ratio last. Unlike the
 * journal bench (1,400 events per run at its default scale) it runs long enough for
 * the JIT to warm up, so later rounds show the steady state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal, type EventBody, type EventDraft } from '../../src/journal/index.js';
import { newId, nowUs } from '../../src/journal/clock.js';

const ops = Number(process.argv[2] ?? 2000);
const batch = Number(process.argv[3] ?? 1000);
const TABLE = 'node:Person';
const OWNER = { pid: process.pid, host: hostname() };
const dir = mkdtempSync(join(tmpdir(), 'journal-prof-'));
const journal = Journal.create(dir, { tables: [{ tableKey: TABLE, version: 1 }], actor: 'bench' });
let version = 1;
let mv = journal.snapshot({ branch: 'main' }).manifestVersion;

function opDrafts(): EventDraft[] {
  const opId = newId();
  const t = nowUs();
  const ev = (kind: string, payload: unknown, tableKey: string | null = null): EventDraft => ({
    opId,
    branch: 'main',
    tableKey,
    body: { kind, payload } as EventBody,
  });
  const out = [
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
      manifest_version: mv + 1,
      commit_id: newId(),
      pins: [{ table_key: TABLE, version: version + 1, lance_branch: null }],
      actor: 'bench',
      message: null,
      merged_parent_id: null,
    }),
    ev('op.completed', {}),
  ];
  version++;
  mv++;
  return out;
}

const raw = new Database(join(dir, 'raw.db'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = FULL');
raw.exec(`CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, time_us INTEGER NOT NULL, kind TEXT NOT NULL,
  branch TEXT NOT NULL, table_key TEXT, payload TEXT NOT NULL CHECK (json_valid(payload)));
  CREATE INDEX events_by_op ON events (op_id, seq);
  CREATE INDEX events_by_kind ON events (kind, seq);
  CREATE INDEX events_by_time ON events (time_us);`);
const insert = raw.prepare(
  'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
);
const many = raw.transaction((rs: EventDraft[]) => {
  for (const r of rs)
    insert.run(r.opId, nowUs(), r.body.kind, r.branch, r.tableKey, JSON.stringify(r.body.payload));
});
const rounds = Number(process.argv[5] ?? 1);
const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const drafts: EventDraft[] = [];
  for (let i = 0; i < ops; i++) drafts.push(...opDrafts());
  const t0 = performance.now();
  for (let i = 0; i < drafts.length; i += batch) journal.appendEvents(drafts.slice(i, i + batch));
  const ms = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < drafts.length; i += batch) many.immediate(drafts.slice(i, i + batch));
  const rawMs = performance.now() - t1;
  ratios.push(rawMs / ms);
  console.log(
    JSON.stringify({
      events: drafts.length,
      evPerS: Math.round(drafts.length / (ms / 1000)),
      rawEvPerS: Math.round(drafts.length / (rawMs / 1000)),
      ratio: +(rawMs / ms).toFixed(3),
    }),
  );
}
ratios.sort((a, b) => a - b);
console.log(JSON.stringify({ medianRatio: +ratios[Math.floor(ratios.length / 2)].toFixed(3) }));
raw.close();
if (process.argv[4] !== 'noverify') console.log(JSON.stringify({ verifyOk: journal.verify().ok }));
journal.close();
rmSync(dir, { recursive: true, force: true });
