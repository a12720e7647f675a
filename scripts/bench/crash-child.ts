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
 */
import { Repo } from '../../src/index.js';
import { failpointHits, type FailpointName } from '../../src/failpoints.js';

const [repoDir, nText, fp] = process.argv.slice(2);
const n = Number(nText);
const repo = await Repo.open(repoDir);
for (let i = 0; i < n; i++) {
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
const timer = setInterval(() => {
  if (failpointHits(fp as FailpointName) >= n) {
    clearInterval(timer);
    process.stdout.write('ready\n');
  }
}, 10);
