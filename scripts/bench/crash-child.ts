/**
 * Leaves N pending operations behind, for the recovery part of the `open` bench:
 *
 *   LANCELOG_FAILPOINTS='write.before_publish=delay:3600000' \
 *     node --import tsx scripts/bench/crash-child.ts <repo> <n> <failpoint>
 *
 * Starts N transactions at once, operation i upserting one row into `A<i>` and one
 * into `B<i>` (distinct tables: a crashed operation's leases block other writers of
 * its tables). The armed failpoint parks every operation (delay); once all N reached
 * it the child prints `ready` and waits to be SIGKILLed by the parent.
 *   - write.before_publish      → both tables committed: recovery rolls forward.
 *   - write.after_table_commit  → only A<i> committed: recovery rolls back (one restore).
 *     Phase B commits an operation's tables concurrently, so for this point B<i>'s commit
 *     is held back (`write.before_table_commit` delayed from its 2nd hit on, re-armed
 *     per operation) and the operations start one after another, each once the one
 *     before is parked.
 */
import { Repo } from '../../src/index.js';
import { armFailpoint, failpointHits, type FailpointName } from '../../src/failpoints.js';

const [repoDir, nText, fp] = process.argv.slice(2);
const n = Number(nText);
const repo = await Repo.open(repoDir);
const holdBack = fp === 'write.after_table_commit';
const HOLD_MS = 3_600_000;
function start(i: number): void {
  void repo
    .transaction((tx) => {
      tx.upsert(`A${i}`, { name: 'k', v: i });
      tx.upsert(`B${i}`, { name: 'k', v: i });
    })
    .catch((err: unknown) => {
      process.stdout.write(`error ${String(err)}\n`);
      process.exit(1);
    });
}
async function parked(count: number): Promise<void> {
  while (failpointHits(fp as FailpointName) < count)
    await new Promise((resolve) => setTimeout(resolve, 5));
}
for (let i = 0; i < n; i++) {
  if (!holdBack) {
    start(i);
    continue;
  }
  // Hits restart at 0 on arming: this operation's first table (A<i>, started first
  // in table-key order) passes, its second (B<i>) waits.
  armFailpoint(
    'write.before_table_commit',
    { kind: 'delay', ms: HOLD_MS },
    { onHit: 2, andLater: true },
  );
  start(i);
  await parked(i + 1);
}
const timer = setInterval(() => {
  if (failpointHits(fp as FailpointName) >= n) {
    clearInterval(timer);
    process.stdout.write('ready\n');
  }
}, 10);
