import { describe, expect, it } from 'vitest';
import { FAILPOINTS } from '../../src/index.js';
import { formatDrillTable, runMatrixDrill } from '../../src/drill/index.js';

describe('drill matrix: every failpoint × writer × branch × one/multi-table, real SIGKILL', () => {
  it(
    'every reachable case passes I1–I6; every failpoint is exercised somewhere; skips carry a reason',
    async () => {
      const report = await runMatrixDrill({ workers: 4 });
      console.log(formatDrillTable(report));
      expect(
        report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.problems.join('; ')}`),
      ).toEqual([]);
      expect(report.notReached).toBe(0);
      const exercised = new Set(
        report.results.map(
          (r) =>
            (r.crashPoint.includes(' then ')
              ? r.crashPoint.split(' then ')[1]
              : r.crashPoint.split(';').at(-1)!
            ).split('@')[0],
        ),
      );
      expect(FAILPOINTS.filter((f) => !exercised.has(f))).toEqual([]);
      expect(report.skipped.every((s) => s.reason.length > 0)).toBe(true);
    },
    30 * 60_000,
  );
});
