/**
 * Why recovery decided what it decided, in words: the decision tables of classify.ts
 * (docs/recovery.md) read back for one operation's observation. The audit records what
 * was observed (`recovery.classified`) and decided (`recovery.decided`); this says which
 * rule made the decision, so a reader of the audit (the Explorer's recovery record, the
 * server's `GET /recovery/{op_id}`) need not know the tables by heart.
 */
import type { RecoveryClass, RecoveryDecision } from './classify.js';

/** One table as `recovery.classified` records it. */
export interface ClassifiedTable {
  table_key: string;
  head: number;
  pin: number;
  expected: number;
  committed: number | null;
  class: RecoveryClass;
}

/** What each class means for one table (the rules of `classifyTable`). */
export const CLASS_MEANING: Record<RecoveryClass, string> = {
  NoMovement: 'Lance HEAD is at the published pin: nothing of the operation reached this table',
  RolledPastExpected:
    "Lance HEAD is exactly the intent's post-commit version: the operation's commit of this table is complete",
  RolledPastUnverified:
    "Lance HEAD is the intent's post-commit version, but the commit's files are not what was written (a file missing, or of another size or checksum than recorded): it is not published",
  UnexpectedAtP1:
    "Lance HEAD is one version past the pin but the journal does not prove it is the operation's own commit",
  UnexpectedMultistep: 'Lance HEAD is more than one version past the pin',
  InvariantViolation: 'Lance HEAD is behind the published pin, which must never happen',
};

function tableText(t: ClassifiedTable): string {
  const committed = t.committed === null ? 'no table.committed' : `table.committed v${t.committed}`;
  return `${t.table_key}: ${t.class} (HEAD v${t.head}, pin v${t.pin}, expected v${t.expected}, ${committed}) — ${CLASS_MEANING[t.class]}`;
}

/**
 * The reason for `decision` given the classified tables: the rule of `decide` that
 * applied, then what each table showed. A Cleanup needs no table (the operation had
 * published).
 */
export function explainDecision(decision: RecoveryDecision, tables: ClassifiedTable[]): string {
  const rule: Record<RecoveryDecision, string> = {
    Cleanup:
      'The operation had published (op.published is in the journal): its data is visible and acknowledged, so recovery only finished its cleanup (released the leases, removed the sidecar).',
    Abort:
      'A table is behind its published pin (InvariantViolation): recovery changes nothing and stops for a person to look (lancelog doctor).',
    RollForward:
      "Every table reached exactly the intent's post-commit version (RolledPastExpected): the operation's Lance commits are complete, so recovery published them as the operation would have.",
    RollBack:
      "Not every table reached the intent's post-commit version with the files it wrote intact: the operation never published and cannot be finished as a whole, so recovery restored every moved table to its pin (all or nothing).",
  };
  const details = tables.map(tableText);
  return details.length > 0 ? `${rule[decision]} ${details.join('; ')}.` : rule[decision];
}
