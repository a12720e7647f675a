import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** From the sources: a bundled CLI would start its drill children from dist/. */
const VIA_TSX = { viaTsx: true };

describe('lancelog drill', () => {
  it('runs a slice of the matrix and prints the table; --json gives the report', async () => {
    const r = await runCli(
      ['drill', '--writer', 'gq', '--at', 'write.after_table_commit'],
      {},
      undefined,
      VIA_TSX,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /\| scenario +\| crash point +\| outcome +\| decision +\| I1 \| I2 \| I3 \| I4 \| I5 \| I6 \| time/,
    );
    expect(r.stdout).toMatch(
      /gq\/feat\/multi-table +\| write\.after_table_commit@3 +\| crashed +\| RollForward +\| ✓ +\| ✓ +\| ✓ +\| ✓ +\| ✓ +\| ✓/,
    );
    expect(r.stdout).toMatch(/6 cases .*: 6 passed, 0 failed/);
    const j = await runCli(
      ['drill', '--seed', '5', '--case', '3', '--json'],
      {},
      undefined,
      VIA_TSX,
    );
    expect(j.code).toBe(0);
    const report = j.json();
    expect(report.results).toHaveLength(1);
    expect(report.results[0].repro).toBe('npm run drill -- --seed 5 --cases 4 --case 3');
    expect(report.failed).toBe(0);
  });

  it('refuses unknown writers and failpoints, and mixing matrix and randomized options', async () => {
    expect((await runCli(['drill', '--writer', 'nope', '--json'])).json().code).toBe('UsageError');
    expect((await runCli(['drill', '--at', 'write.nowhere', '--json'])).json().code).toBe(
      'UsageError',
    );
    const mixed = await runCli(['drill', '--all', '--cases', '3', '--json']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.json().code).toBe('UsageError');
  });
});
