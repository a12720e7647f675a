/**
 * The words of a recovery record's "why" (src/recovery/explain.ts) follow the decision
 * tables of classify.ts: each decision names its rule, each class its meaning.
 */
import { describe, expect, it } from 'vitest';
import {
  CLASS_MEANING,
  decide,
  explainDecision,
  RECOVERY_CLASSES,
  RECOVERY_DECISIONS,
  type ClassifiedTable,
  type RecoveryClass,
} from '../../src/index.js';

const table = (key: string, cls: RecoveryClass, head: number, pin: number): ClassifiedTable => ({
  table_key: key,
  head,
  pin,
  expected: pin,
  committed: null,
  class: cls,
});

describe('explainDecision', () => {
  it('every class has a meaning', () => {
    expect(Object.keys(CLASS_MEANING).sort()).toEqual([...RECOVERY_CLASSES].sort());
  });

  it('a rollback names the rule and every table with what it showed', () => {
    const tables = [
      table('node:A', 'RolledPastExpected', 4, 3),
      table('node:B', 'NoMovement', 5, 5),
    ];
    const decision = decide({ published: false, classes: tables.map((t) => t.class) });
    expect(decision).toBe('RollBack');
    const why = explainDecision(decision, tables);
    expect(why).toMatch(/^Not every table reached the intent's post-commit version/);
    expect(why).toContain(
      'node:A: RolledPastExpected (HEAD v4, pin v3, expected v3, no table.committed)',
    );
    expect(why).toContain(
      `node:B: NoMovement (HEAD v5, pin v5, expected v5, no table.committed) — ${CLASS_MEANING.NoMovement}`,
    );
  });

  it('each decision has its own rule', () => {
    const texts = RECOVERY_DECISIONS.map((d) => explainDecision(d, []));
    expect(new Set(texts).size).toBe(RECOVERY_DECISIONS.length);
    expect(explainDecision('Cleanup', [])).toContain('had published');
    expect(explainDecision('Abort', [table('node:A', 'InvariantViolation', 2, 3)])).toContain(
      'behind its published pin',
    );
    expect(explainDecision('RollForward', [])).toContain('published them');
  });
});
