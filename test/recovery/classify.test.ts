import { describe, expect, it } from 'vitest';
import { classifyTable, decide, type TableObservation } from '../../src/recovery/classify.js';

const obs = (
  head: number,
  pin: number,
  expected = 5,
  postCommit = 6,
  committed: number | null = null,
): TableObservation => ({ tableKey: 'node:A', head, pin, expected, postCommit, committed });

describe('classification (pure)', () => {
  const cases: Array<[string, TableObservation, string]> = [
    ['h == p == e', obs(5, 5), 'NoMovement'],
    ['h == c, p == e', obs(6, 5), 'RolledPastExpected'],
    ['h == c, p == e, journal agrees', obs(6, 5, 5, 6, 6), 'RolledPastExpected'],
    ['h == c, p == c (an earlier recovery already published)', obs(6, 6), 'RolledPastExpected'],
    [
      'h == p + 1 but the journal says another version was ours',
      obs(6, 5, 5, 6, 7),
      'UnexpectedAtP1',
    ],
    ['h == p + 1 with an intent from another base', obs(8, 7, 5, 6), 'UnexpectedAtP1'],
    ['h > p + 1', obs(9, 5), 'UnexpectedMultistep'],
    ['h > p + 1 after a restore (c then restore)', obs(7, 5), 'UnexpectedMultistep'],
    ['h < p', obs(4, 5), 'InvariantViolation'],
    ['h == p past e (a recovery restored and published)', obs(7, 7), 'NoMovement'],
  ];
  for (const [name, o, expected] of cases)
    it(`${name} → ${expected}`, () => expect(classifyTable(o)).toBe(expected));
});

describe('decision (pure)', () => {
  it('Cleanup when published, whatever the tables say', () =>
    expect(decide({ published: true, failed: false, classes: ['InvariantViolation'] })).toBe(
      'Cleanup',
    ));
  it('Abort on any InvariantViolation', () =>
    expect(
      decide({
        published: false,
        failed: false,
        classes: ['RolledPastExpected', 'InvariantViolation'],
      }),
    ).toBe('Abort'));
  it('RollForward when every table rolled past expected', () =>
    expect(
      decide({
        published: false,
        failed: false,
        classes: ['RolledPastExpected', 'RolledPastExpected'],
      }),
    ).toBe('RollForward'));
  it('RollBack when some table did not commit', () =>
    expect(
      decide({ published: false, failed: false, classes: ['RolledPastExpected', 'NoMovement'] }),
    ).toBe('RollBack'));
  it('RollBack on foreign movement', () =>
    expect(decide({ published: false, failed: false, classes: ['UnexpectedAtP1'] })).toBe(
      'RollBack',
    ));
  it('RollBack when nothing was intended (crash before the intent)', () =>
    expect(decide({ published: false, failed: false, classes: [] })).toBe('RollBack'));
});

describe('told failed → rolled back (decide, pure)', () => {
  it('given op.failed journaled after every table committed whole, when recovery decides, then RollBack (never RollForward)', () =>
    expect(
      decide({
        published: false,
        failed: true,
        classes: ['RolledPastExpected', 'RolledPastExpected'],
      }),
    ).toBe('RollBack'));
  it('given op.failed after one of two tables committed, when recovery decides, then RollBack', () =>
    expect(
      decide({ published: false, failed: true, classes: ['RolledPastExpected', 'NoMovement'] }),
    ).toBe('RollBack'));
  it('given op.failed before any commit (lease or intent phase), when recovery decides, then RollBack', () =>
    expect(decide({ published: false, failed: true, classes: ['NoMovement'] })).toBe('RollBack'));
  it('given op.failed and the in-process rollback published its restore, when recovery decides, then Cleanup (the restore stays)', () =>
    expect(decide({ published: true, failed: true, classes: ['NoMovement'] })).toBe('Cleanup'));
  it('given op.failed and a HEAD below its pin, when recovery decides, then Abort (touch nothing)', () =>
    expect(
      decide({
        published: false,
        failed: true,
        classes: ['RolledPastExpected', 'InvariantViolation'],
      }),
    ).toBe('Abort'));
  it('given no op.failed (a crash, nobody was told anything) and every table whole, when recovery decides, then RollForward', () =>
    expect(decide({ published: false, failed: false, classes: ['RolledPastExpected'] })).toBe(
      'RollForward',
    ));
});
