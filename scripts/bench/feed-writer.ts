/**
 * The writer of the feed bench, in a process of its own: `feed-writer.ts <repo> <n>
 * <gapMs>` makes n one-row commits, `gapMs` apart, then exits.
 */
import { setTimeout } from 'node:timers/promises';
import { Repo } from '../../src/index.js';

const [dir, n, gapMs] = process.argv.slice(2);
const repo = await Repo.open(dir);
try {
  for (let i = 0; i < Number(n); i++) {
    await repo.transaction((tx) => void tx.insert('Note', { text: `t${i}` }));
    await setTimeout(Number(gapMs));
  }
} finally {
  await repo.close();
}
