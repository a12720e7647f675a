/**
 * Journal CPU per one-table write: `node --import tsx scripts/bench/journal-cpu.ts
 * [writes] [protocol]`. Runs `writes` one-table writes through the journal alone (no
 * Lance), after 50 warm-up writes, and prints CPU (user + system, `process.cpuUsage`)
 * and wall time per write. protocol `start` (default): the write protocol's journal
 * calls since issue 15 (startOperation, then publish with the committed table and
 * op.completed: 2 transactions); `separate`: begin, leases, intent, publish (4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';

const TABLE = 'node:Person';
const writes = Number(process.argv[2] ?? 200);
const protocol = process.argv[3] ?? 'start';
const dir = mkdtempSync(join(tmpdir(), 'journal-cpu-'));
const journal = Journal.create(dir, { tables: [{ tableKey: TABLE, version: 1 }], actor: 'bench' });
let version = 1;

function oneWrite(): void {
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
