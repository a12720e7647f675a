import { describe, expect, it } from 'vitest';
import { formatDrillTable, runRandomDrill } from '../../src/drill/index.js';

/** CI count; LANCELOG_DRILL_CASES / LANCELOG_DRILL_SEED override (see docs/drills.md). */
const CASES = Number(process.env.LANCELOG_DRILL_CASES ?? 1000);
const SEED = Number(process.env.LANCELOG_DRILL_SEED ?? 20261126);

describe('randomized crash drills (model-checked)', () => {
  it(
    `${CASES} batched cases of seed ${SEED} pass I1–I6`,
    async () => {
      const report = await runRandomDrill({ seed: SEED, cases: CASES, workers: 4 });
      console.log(formatDrillTable(report, { onlyFailures: true }));
      expect(
        report.results
          .filter((r) => !r.ok)
          .map((r) => `${r.id}: ${r.problems.join('; ')} — ${r.repro}`),
      ).toEqual([]);
      // Most generated crash points are on the path of their sequence.
      expect(report.passed).toBeGreaterThan(CASES * 0.7);
    },
    40 * 60_000,
  );

  it('a sample reproduces in exact mode (a process per crash, killed by the crash failpoint itself)', async () => {
    const report = await runRandomDrill({ seed: SEED, cases: 8, exact: true, workers: 2 });
    console.log(formatDrillTable(report));
    expect(
      report.results
        .filter((r) => !r.ok)
        .map((r) => `${r.id}: ${r.problems.join('; ')} — ${r.repro}`),
    ).toEqual([]);
  });
});
