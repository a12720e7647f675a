import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECOVERY_CLASSES, RECOVERY_DECISIONS, decide } from '../../src/recovery/classify.js';
import { RecoveryClass, RecoveryDecision } from '../../src/journal/index.js';
import { ROOT } from '../helpers/cli.js';

/** First-column entries of the markdown table under `## heading`. */
function tableColumn(doc: string, heading: string): string[] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`no section ${heading}`);
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('|---'))
    .slice(1)
    .map((l) => l.split('|')[1].trim());
}

describe('docs/recovery.md matches the code', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'recovery.md'), 'utf8');
  it('the classification table lists exactly the classes', () => {
    expect(tableColumn(doc, 'Classification')).toEqual([...RECOVERY_CLASSES]);
    expect([...RECOVERY_CLASSES]).toEqual(RecoveryClass.options);
  });
  it('the decision table lists exactly the decisions', () => {
    expect(tableColumn(doc, 'Decision')).toEqual([...RECOVERY_DECISIONS]);
    expect([...RECOVERY_DECISIONS]).toEqual(RecoveryDecision.options);
  });
  it("the decision table's rows are decide's precedence, and op.failed (told failed) is what the code does", () => {
    const section = doc.split(/^## /m).find((s) => s.startsWith('Decision'))!;
    const rows = Object.fromEntries(
      section
        .split('\n')
        .filter((l) => /^\| [A-Z]/.test(l))
        .map((l) => [l.split('|')[1].trim(), l.split('|')[2]]),
    );
    // What the doc says, checked against decide() on the case it describes.
    expect(rows.RollForward).toContain('no `op.failed`');
    expect(decide({ published: false, failed: true, classes: ['RolledPastExpected'] })).toBe(
      'RollBack',
    );
    expect(rows.RollBack).toContain('`op.failed`');
    expect(rows.Cleanup).toContain('`op.published`');
    expect(decide({ published: true, failed: true, classes: ['RolledPastExpected'] })).toBe(
      'Cleanup',
    );
    expect(doc).toContain('## Told failed → rolled back');
  });
});
