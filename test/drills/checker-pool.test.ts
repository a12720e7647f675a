import { describe, it, expect } from 'vitest';
import { CheckerPool } from '../../src/drill/spawn.js';
import type { CheckSpec } from '../../src/drill/check.js';

const spec = (dir: string): CheckSpec => ({
  dir,
  branch: 'main',
  models: [[]],
  acked: 0,
  others: [],
});

describe('drill checker pool', () => {
  it('a checker killed mid-run fails its checks, is replaced, and the run goes on (no hang)', async () => {
    const pool = await CheckerPool.start(1);
    try {
      // Killed right after it was spawned: it is still loading, so it cannot have
      // answered (a warm checker answers a missing repo in milliseconds, racing the kill).
      const [pid] = pool.pids();
      const inFlight = pool.check(spec('/nonexistent/lancelog-drill-repo'));
      process.kill(pid, 'SIGKILL');
      const killed = await inFlight;
      expect(killed.ok).toBe(false);
      expect(killed.problems.join(' ')).toMatch(/checker: the checker process exited \(SIGKILL\)/);
      // A new checker took its place and answers (a repo that does not exist: a failed check).
      expect(pool.pids()).toHaveLength(1);
      expect(pool.pids()[0]).not.toBe(pid);
      const after = await pool.check(spec('/nonexistent/lancelog-drill-repo-2'));
      expect(after.ok).toBe(false);
      expect(after.problems.join(' ')).not.toMatch(/exited/);
    } finally {
      await pool.stop();
    }
  });

  it('the watchdog kills a checker whose check does not answer in time', async () => {
    const pool = await CheckerPool.start(1, 1);
    try {
      const r = await pool.check(spec('/nonexistent/lancelog-drill-repo'));
      expect(r.ok).toBe(false);
      expect(r.problems.join(' ')).toMatch(/exited \(SIGKILL\)/);
    } finally {
      await pool.stop();
    }
  });
});
