/**
 * Recovery's two decision tables (docs/recovery.md), as pure functions over an
 * observation. docs/recovery.md holds the same tables; a test compares them.
 */

export const RECOVERY_CLASSES = [
  'NoMovement',
  'RolledPastExpected',
  'RolledPastUnverified',
  'UnexpectedAtP1',
  'UnexpectedMultistep',
  'InvariantViolation',
] as const;
export type RecoveryClass = (typeof RECOVERY_CLASSES)[number];

export const RECOVERY_DECISIONS = ['Cleanup', 'Abort', 'RollForward', 'RollBack'] as const;
export type RecoveryDecision = (typeof RECOVERY_DECISIONS)[number];

/** What recovery sees for one table of an in-flight operation. */
export interface TableObservation {
  tableKey: string;
  /** Observed Lance HEAD of the table's Lance branch the intent names. */
  head: number;
  /** The published pin on the operation's branch. */
  pin: number;
  /** The intent: version before the commit (`e`) and after it (`c`). */
  expected: number;
  /** null: the operation commits this table more than once (a multi-commit writer). */
  postCommit: number | null;
  /** The version the journal's `table.committed` recorded, if the event exists. */
  committed: number | null;
  /**
   * Whether the committed version's files check out (docs/recovery.md "Before a
   * roll-forward"): every file it names exists with the size its manifest records, and
   * the files the commit created have the size and sha256 its `table.committed`
   * recorded. false also when no checksums were recorded. Only asked of a table that
   * would otherwise roll forward; undefined: not checked.
   */
  filesVerified?: boolean;
}

/**
 * Classifies one table:
 * - InvariantViolation: h < p (HEAD behind the pin: must never happen).
 * - NoMovement: h == p — nothing unpublished on the table (normally p == e; p may
 *   also be past e when an earlier, interrupted recovery already published).
 * - RolledPastExpected: h == c, p ∈ {e, c}, and `table.committed` (when present) says c.
 *   Never for a multi-commit table (c = null): its last commit is journaled only with the
 *   publish, so before the publish nothing proves the table reached its final version.
 * - RolledPastUnverified: as RolledPastExpected, but the commit's files do not check out
 *   (missing, another size or checksum than written, or no checksums recorded).
 * - UnexpectedAtP1: h == p + 1 and not ours.
 * - UnexpectedMultistep: h > p + 1.
 */
export function classifyTable(o: TableObservation): RecoveryClass {
  const { head: h, pin: p, expected: e, postCommit: c, committed } = o;
  if (h < p) return 'InvariantViolation';
  if (h === p && p !== c) return 'NoMovement';
  if (c !== null && h === c && (p === e || p === c) && (committed === null || committed === c))
    return o.filesVerified === false ? 'RolledPastUnverified' : 'RolledPastExpected';
  if (h === p + 1) return 'UnexpectedAtP1';
  return 'UnexpectedMultistep';
}

export interface OperationObservation {
  /** The journal shows `op.published` for the operation. */
  published: boolean;
  /**
   * The journal shows `op.failed`: the writer told its caller the operation failed
   * (the failure path journals it before returning the error), so it must never be
   * published later, however whole its commits are.
   */
  failed: boolean;
  classes: RecoveryClass[];
}

/**
 * Decides for a whole operation, all-or-nothing:
 * Cleanup if published (for a failed operation that publish is its in-process
 * rollback's); Abort on any InvariantViolation; RollBack if it failed (told failed →
 * rolled back); RollForward when every table (at least one) RolledPastExpected;
 * RollBack otherwise.
 */
export function decide(o: OperationObservation): RecoveryDecision {
  if (o.published) return 'Cleanup';
  if (o.classes.includes('InvariantViolation')) return 'Abort';
  if (o.failed) return 'RollBack';
  if (o.classes.length > 0 && o.classes.every((c) => c === 'RolledPastExpected'))
    return 'RollForward';
  return 'RollBack';
}
