import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

describe('lancelog ingest / export --type', () => {
  it('ingest creates the branch from --from and loads into it only; export --type filters', () => {
    const repo = join(tmp(), 'r');
    expect(
      runCli(['init', '--schema', join(FIXTURES_DIR, 'omnigraph', 'test.pg'), repo]).code,
    ).toBe(0);
    const out = runCli([
      'ingest',
      '--data',
      join(FIXTURES_DIR, 'omnigraph', 'test.jsonl'),
      '--branch',
      'staging',
      '--json',
      repo,
    ]);
    expect(out.code).toBe(0);
    expect(out.json()).toMatchObject({ mode: 'merge' });
    const again = runCli([
      'ingest',
      '--data',
      join(FIXTURES_DIR, 'omnigraph', 'test.jsonl'),
      '--branch',
      'staging',
      '--json',
      repo,
    ]);
    expect(again.code).toBe(0);
    const branches = runCli(['branch', 'list', '--json', repo]).json();
    expect(JSON.stringify(branches)).toContain('staging');
    expect(runCli(['export', repo]).stdout).toBe('');
    const staged = runCli(['export', '--branch', 'staging', '--type', 'Company', repo])
      .stdout.trim()
      .split('\n');
    expect(staged.length).toBeGreaterThan(0);
    expect(staged.every((l) => JSON.parse(l).type === 'Company')).toBe(true);
    const bad = runCli(['export', '--type', 'Nope', '--json', repo]);
    expect(bad.code).toBe(1);
    expect(bad.json().code).toBe('UnknownType');
  });
});
