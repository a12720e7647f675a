import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRepo } from '../../src/drill/check.js';
import { modelsOf, parseAcks, touchedOf, Workspace } from '../../src/drill/harness.js';
import { matrixOps, ROLLBACK_PROVOKER } from '../../src/drill/matrix.js';
import { renderModel, seedModel } from '../../src/drill/model.js';
import { runChild, WarmChildren, type ChildRun } from '../../src/drill/spawn.js';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await Workspace.create({ warm: 2 });
});
afterAll(() => {
  ws.stopChildren();
  ws.dispose();
});

const ops = matrixOps('tx', 'multi-table');
const hitsOf = (r: ChildRun): unknown =>
  JSON.parse(r.lines.find((l) => l.startsWith('hits '))!.slice(5));

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('pre-started drill writers (child --warm)', () => {
  it('count the same failpoint hits as a fresh child, with the failpoints a fresh one reads from its environment', async () => {
    for (const spec of ['', ROLLBACK_PROVOKER]) {
      const cmd = (repo: string) => ({ mode: 'count' as const, repo, branch: 'feat', ops });
      const fresh = await runChild(cmd(ws.copy('fresh')), spec);
      const warm = await ws.runChild(cmd(ws.copy('warm')), spec);
      expect(warm.status).toBe(0);
      expect(hitsOf(warm)).toEqual(hitsOf(fresh));
    }
    // The provoker was armed in the pre-started child: only an in-process rollback gets there.
    const provoked = await ws.runChild(
      { mode: 'count', repo: ws.copy('provoked'), branch: 'feat', ops },
      ROLLBACK_PROVOKER,
    );
    expect(hitsOf(provoked)).toMatchObject({ 'write.before_rollback_publish': 1 });
  });

  it('die at the crash point and leave the state a fresh child leaves (same recovery, same visible state)', async () => {
    const spec = `${HOLD_BACK_LATER_TABLE_COMMITS};write.after_table_commit=crash@1`;
    const runs = [];
    for (const how of ['fresh', 'warm'] as const) {
      const dir = ws.copy(how);
      const cmd = { mode: 'run' as const, repo: dir, branch: 'main', ops };
      const run = how === 'fresh' ? await runChild(cmd, spec) : await ws.runChild(cmd, spec);
      expect(run.signal).toBe('SIGKILL');
      const check = await checkRepo({
        dir,
        branch: 'main',
        models: modelsOf(ops),
        acked: parseAcks(run).acked,
        others: [{ branch: 'feat', lines: renderModel(seedModel()) }],
        touched: touchedOf(ops),
      });
      expect(check.problems).toEqual([]);
      runs.push({ decision: check.decision, visible: check.visible, acked: parseAcks(run).acked });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ decision: 'RollBack', visible: 0, acked: 0 });
  });

  it('a child that died before its case is passed over; stopped, the unused ones exit', async () => {
    const pool = await WarmChildren.start(2);
    const [dead, other] = pool.pids();
    process.kill(dead, 'SIGKILL');
    expect(await gone(dead)).toBe(true);
    const r = await pool.run({ mode: 'recover', repo: ws.copy('after-a-dead-spare') });
    expect(r.lines).toEqual(['done']);
    expect(r.status).toBe(0);
    expect(pool.pids()).not.toContain(dead);
    expect(pool.pids()).not.toContain(other); // it ran the case; two new ones wait
    expect(pool.pids()).toHaveLength(2);
    const waiting = pool.pids();
    pool.stop();
    for (const pid of waiting) expect(await gone(pid)).toBe(true);
    expect(pool.pids()).toEqual([]);
  });
});
