/**
 * `lancelog index ensure` and `lancelog index list` through the real CLI (child
 * processes): progress on stderr, JSON output, idempotence, the branch option, a
 * search read over the indexed fixture, and bad input (exit 2, nothing built).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJsonl } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

async function fixtureRepo(): Promise<string> {
  const dir = join(tmp(), 'repo');
  const repo = await makeRepo(dir, { fixture: 'omnigraph/search.pg' });
  await loadJsonl(
    repo.operationContext(),
    { path: join(FIXTURES_DIR, 'omnigraph', 'search.jsonl') },
    { mode: 'append' },
  );
  await repo.close();
  return dir;
}

describe('lancelog index', () => {
  it('ensure builds what is missing (progress on stderr), list shows it, a second ensure builds nothing', async () => {
    const dir = await fixtureRepo();
    const before = await runCli(['index', 'list', '--json', dir]);
    expect(before.code).toBe(0);
    expect(
      (before.json() as Array<{ column: string; state: string }>).map(
        (r) => `${r.column}:${r.state}`,
      ),
    ).toEqual(['slug:missing', 'title:missing', 'body:missing', 'embedding:flat']);

    const ensure = await runCli(['index', 'ensure', '--json', dir]);
    expect(ensure.code).toBe(0);
    expect(ensure.stderr).toContain('[1/3] building node:Doc.slug (btree)');
    expect(ensure.stderr).toContain('[3/3] built node:Doc.body (fts)');
    const out = ensure.json() as {
      commitId: string;
      built: Array<{ column: string; version: number }>;
    };
    expect(out.commitId).toMatch(/^[0-9A-Z]{26}$/);
    expect(out.built.map((b) => b.column)).toEqual(['slug', 'title', 'body']);

    const list = await runCli(['index', 'list', dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Doc\s+title\s+FTS\s+built\s+\d+\s+5\s+0/);

    const again = await runCli(['index', 'ensure', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to build');

    const read = await runCli([
      'read',
      '--query',
      join(FIXTURES_DIR, 'omnigraph', 'search.gq'),
      '--name',
      'bm25_search',
      '--params',
      '{"q":"learning"}',
      '--format',
      'json',
      dir,
    ]);
    expect(read.code).toBe(0);
    expect(
      (read.json() as { rows: Array<Record<string, string>> }).rows.map((r) => r['d.slug']),
    ).toEqual(['dl-basics', 'rl-intro', 'ml-intro']);
  }, 120_000);

  it('an unknown branch or type fails with a typed error and builds nothing', async () => {
    const dir = await fixtureRepo();
    const branch = await runCli(['index', 'ensure', '--branch', 'nope', '--json', dir]);
    expect(branch.code).toBe(1);
    expect(branch.json()).toMatchObject({ code: 'BranchNotFound' });
    const type = await runCli(['index', 'ensure', '--type', 'Nope', '--json', dir]);
    expect(type.code).toBe(2);
    expect(type.json()).toMatchObject({ code: 'UsageError', details: { type: 'Nope' } });
    const list = await runCli(['index', 'list', '--json', dir]);
    expect((list.json() as Array<{ state: string }>).every((r) => r.state !== 'built')).toBe(true);
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toContain('node Doc');
  }, 120_000);
});
