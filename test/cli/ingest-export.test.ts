import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

describe('lancelog ingest / export --type', () => {
  it('ingest creates the branch from --from and loads into it only; export --type filters', async () => {
    const repo = join(tmp(), 'r');
    expect(
      (await runCli(['init', '--schema', join(FIXTURES_DIR, 'omnigraph', 'test.pg'), repo])).code,
    ).toBe(0);
    const out = await runCli([
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
    const again = await runCli([
      'ingest',
      '--data',
      join(FIXTURES_DIR, 'omnigraph', 'test.jsonl'),
      '--branch',
      'staging',
      '--json',
      repo,
    ]);
    expect(again.code).toBe(0);
    const branches = (await runCli(['branch', 'list', '--json', repo])).json();
    expect(JSON.stringify(branches)).toContain('staging');
    expect((await runCli(['export', repo])).stdout).toBe('');
    const staged = (
      await runCli(['export', '--branch', 'staging', '--type', 'Company', repo])
    ).stdout
      .trim()
      .split('\n');
    expect(staged.length).toBeGreaterThan(0);
    expect(staged.every((l) => JSON.parse(l).type === 'Company')).toBe(true);
    const bad = await runCli(['export', '--type', 'Nope', '--json', repo]);
    expect(bad.code).toBe(1);
    expect(bad.json().code).toBe('UnknownType');
  });
});
