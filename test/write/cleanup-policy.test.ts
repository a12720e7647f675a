import { describe, expect, it } from 'vitest';
import {
  CUTOFF_MARGIN_MS,
  GUARD_WINDOW_MS,
  protectedVersions,
  tableCutoff,
  type BranchHistory,
} from '../../src/write/maintenance/cleanup-policy.js';

const pin = (version: number, lanceBranch: string | null = null) => ({
  tableKey: 'node:P',
  version,
  lanceBranch,
});
/** A branch whose commits (newest first) pin node:P at these versions, one second apart. */
function history(branch: string, versions: Array<number | [number, string]>): BranchHistory {
  return {
    branch,
    commits: versions.map((v, i) => ({
      id: `${branch}-${i}`,
      timeUs: (1000 - i) * 1_000_000,
      pins: [Array.isArray(v) ? pin(v[0], v[1]) : pin(v)],
    })),
  };
}
const NOW_MS = 1_000_000;

describe('protectedVersions', () => {
  it('given main with commits pinning 5,4,3,2,1 and keep 2, then 5 and 4 are protected', () => {
    const p = protectedVersions([history('main', [5, 4, 3, 2, 1])], {
      keep: 2,
      olderThanMs: null,
      nowMs: NOW_MS,
    });
    expect([...p.get('node:P')!].sort()).toEqual([4, 5]);
  });

  it('given a live branch inheriting main version 2, then 2 is protected too', () => {
    const p = protectedVersions(
      [history('main', [5, 4, 3, 2, 1]), history('feature', [[3, 'feature-x'], 2, 1])],
      { keep: 2, olderThanMs: null, nowMs: NOW_MS },
    );
    // feature's own Lance line (version 3 on feature-x) is not main's.
    expect([...p.get('node:P')!].sort()).toEqual([2, 4, 5]);
  });

  it('given --older-than, then every younger commit is protected whatever keep says', () => {
    // commits at 1000 s, 999 s, …; now = 1000 s; older than 2.5 s keeps 1000, 999, 998.
    const p = protectedVersions([history('main', [5, 4, 3, 2, 1])], {
      keep: 1,
      olderThanMs: 2_500,
      nowMs: NOW_MS,
    });
    expect([...p.get('node:P')!].sort()).toEqual([3, 4, 5]);
  });
});

describe('tableCutoff', () => {
  // Versions 2.5 s apart, more than the margin.
  const versions = [1, 2, 3, 4, 5, 6].map((v) => ({ version: v, timestampMs: v * 2500 }));
  const policy = { keep: 1, olderThanMs: null, nowMs: 20_000 };

  it('given protected 4 and 6, then the cut-off is 4 less the margin and 1..3 go', () => {
    expect(tableCutoff(versions, new Set([4, 6]), policy)).toEqual({
      cutoffMs: 10_000 - CUTOFF_MARGIN_MS,
      guard: [4, 6],
      removable: [1, 2, 3],
    });
  });

  it('given versions made within the margin before the oldest protected one, then they stay', () => {
    const close = [
      { version: 1, timestampMs: 0 },
      { version: 2, timestampMs: 5000 - CUTOFF_MARGIN_MS / 2 },
      { version: 3, timestampMs: 5000 },
    ];
    expect(tableCutoff(close, new Set([3]), policy).removable).toEqual([1]);
  });

  it('given nothing protected, then the latest version is kept anyway', () => {
    expect(tableCutoff(versions, new Set(), policy).removable).toEqual([1, 2, 3, 4, 5]);
  });

  it('given --older-than, then the cut-off is no later than now minus it', () => {
    expect(
      tableCutoff(versions, new Set([6]), { ...policy, olderThanMs: 16_000 }).removable,
    ).toEqual([1]);
  });

  it('given the oldest version protected, then nothing is removed', () => {
    expect(tableCutoff(versions, new Set([1]), policy)).toMatchObject({
      cutoffMs: null,
      removable: [],
    });
  });

  it('only protected versions within the guard window of the cut-off are tagged', () => {
    const far = [
      { version: 1, timestampMs: 0 },
      { version: 2, timestampMs: 5000 },
      { version: 3, timestampMs: 5000 + GUARD_WINDOW_MS },
    ];
    expect(tableCutoff(far, new Set([2, 3]), policy).guard).toEqual([2]);
  });
});
