/**
 * Which Lance versions `lancelog cleanup` keeps (pure; docs/maintenance.md
 * §Which versions are kept). A version of a table's main Lance line is protected when
 *
 *  - a live branch pins it in one of its `keep` newest commits (its first-parent
 *    history, inherited commits included; the head is always one of them);
 *  - any commit of a live branch newer than `--older-than` pins it;
 *  - it is the line's newest version (Lance never removes that one).
 *
 * Lance 0.37.1 removes versions only by age ("every version older than T"), so the
 * cut-off T of a table is the timestamp of its oldest protected version less a margin
 * (CUTOFF_MARGIN_MS), and no later than now − older-than: every version older than
 * that goes, every protected one stays. Versions between the oldest protected one and the head that nothing protects
 * stay too (the API cannot pick them out). In-flight operations are not handled here:
 * cleanup refuses to run while any is pending (the recovery floor).
 */
import type { TablePin } from '../../journal/index.js';

export interface CommitPins {
  id: string;
  timeUs: number;
  pins: TablePin[];
}

export interface BranchHistory {
  branch: string;
  /** Newest first, as `listCommits({branch})`. */
  commits: CommitPins[];
}

export interface CleanupPolicy {
  /** Commits kept per live branch (≥ 1). */
  keep: number;
  /** Commits (and versions) younger than this are kept; null: no age rule. */
  olderThanMs: number | null;
  nowMs: number;
}

export interface VersionTime {
  version: number;
  timestampMs: number;
}

export interface TableCutoff {
  /** Versions older than this are removed (null: nothing to remove). */
  cutoffMs: number | null;
  /** Protected versions close enough to the cut-off to need Lance's tag guard. */
  guard: number[];
  /** The versions a cut-off at `cutoffMs` removes (Lance may keep some a branch references). */
  removable: number[];
}

/** Protected versions tagged when within this of the cut-off: the call's clock drift. */
export const GUARD_WINDOW_MS = 10 * 60_000;

/**
 * The cut-off sits this far before the oldest protected version: lancedb hands Lance a
 * duration, not a date, and Lance subtracts it from its own clock a little later, so
 * the effective cut-off drifts late by the call's latency. Versions made in the margin
 * are kept; a drift beyond it hits a guard tag and the cleanup fails removing nothing.
 */
export const CUTOFF_MARGIN_MS = 1000;

/** Main-line versions each table must keep, by table key. */
export function protectedVersions(
  histories: BranchHistory[],
  policy: CleanupPolicy,
): Map<string, Set<number>> {
  const minTimeUs = policy.olderThanMs === null ? null : (policy.nowMs - policy.olderThanMs) * 1000;
  const out = new Map<string, Set<number>>();
  for (const h of histories)
    h.commits.forEach((c, i) => {
      const young = minTimeUs !== null && c.timeUs >= minTimeUs;
      if (i >= policy.keep && !young) return;
      for (const pin of c.pins) {
        if (pin.lanceBranch !== null) continue;
        let set = out.get(pin.tableKey);
        if (!set) out.set(pin.tableKey, (set = new Set()));
        set.add(pin.version);
      }
    });
  return out;
}

/** The cut-off of one table's main line, from its versions (with Lance timestamps). */
export function tableCutoff(
  versions: VersionTime[],
  protectedSet: ReadonlySet<number>,
  policy: CleanupPolicy,
): TableCutoff {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const latest = sorted.at(-1)?.version;
  const kept = sorted.filter((v) => protectedSet.has(v.version) || v.version === latest);
  let cutoffMs = Math.min(...kept.map((v) => v.timestampMs)) - CUTOFF_MARGIN_MS;
  if (policy.olderThanMs !== null) cutoffMs = Math.min(cutoffMs, policy.nowMs - policy.olderThanMs);
  if (!Number.isFinite(cutoffMs)) return { cutoffMs: null, guard: [], removable: [] };
  const removable = sorted
    .filter((v) => v.timestampMs < cutoffMs && v.version !== latest)
    .map((v) => v.version);
  const guard = kept
    .filter((v) => v.timestampMs < cutoffMs + GUARD_WINDOW_MS)
    .map((v) => v.version);
  return { cutoffMs: removable.length ? cutoffMs : null, guard, removable };
}
