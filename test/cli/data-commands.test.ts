import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const DATA = join(FIXTURES_DIR, 'omnigraph', 'test.jsonl');

describe('lancelog load / export', () => {
  it('loads a fixture, exports it to a file and to stdout, and reports a bad line as a JSON error', async () => {
    const dir = tmp();
    const repo = join(dir, 'r');
    await (await makeRepo(repo, { fixture: 'omnigraph/test.pg' })).close();

    const loaded = await runCli([
      'load',
      '--data',
      DATA,
      '--mode',
      'append',
      '--actor',
      'cli-test',
      '--json',
      repo,
    ]);
    expect(loaded.code).toBe(0);
    const r = loaded.json();
    expect(r).toMatchObject({
      mode: 'append',
      nodes: { Person: 4, Company: 2 },
      edges: { Knows: 3, WorksAt: 2 },
      lines: 11,
    });
    expect(r.opId).toMatch(/^[0-9A-Z]{26}$/);
    expect(typeof r.commitId).toBe('string');
    expect(loaded.stderr).toBe(''); // no progress bar off a TTY

    const out = join(dir, 'out.jsonl');
    const exported = await runCli(['export', '--out', out, '--json', repo]);
    expect(exported.code).toBe(0);
    expect(exported.json()).toMatchObject({
      nodes: { Person: 4, Company: 2 },
      edges: { Knows: 3, WorksAt: 2 },
      out,
    });
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('{"type":"Person","data":{"name":"Alice","age":30}}');
    // stdout at a manifest version, then the human summary of a merge.
    const stdout = await runCli(['export', '--version', '2', repo]);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(text);

    const merged = await runCli(['load', '--data', DATA, '--mode', 'merge', '--no-progress', repo]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain(`loaded ${DATA} (merge) into main: 11 records from 11 lines`);
    expect(merged.stdout).toMatch(/commit [0-9A-Z]{26} \(manifest version 3\)/);

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(
      bad,
      '{"type": "Person", "data": {"name": "Eve"}}\n{"edge": "Knows", "from": "Eve", "to": "Nobody"}\n',
    );
    const failed = await runCli(['load', '--data', bad, '--json', repo]);
    expect(failed.code).toBe(1);
    expect(failed.json()).toMatchObject({
      code: 'ValidationError',
      details: { file: bad, line: 2, field: 'to', rule: 'endpoint' },
    });
    const badMode = await runCli(['load', '--data', bad, '--mode', 'replace', '--json', repo]);
    expect(badMode.json()).toMatchObject({ code: 'UsageError', details: { option: '--mode' } });
    // Nothing changed: manifest version 3 is still the latest.
    expect((await runCli(['export', repo])).stdout).toBe(text);
  });

  it('--chunk-rows / --chunk-bytes load in several Lance commits per table; bad values are usage errors', async () => {
    const repo = join(tmp(), 'r');
    await (await makeRepo(repo, { fixture: 'omnigraph/test.pg' })).close();
    const bad = await runCli(['load', '--data', DATA, '--chunk-rows', '0', '--json', repo]);
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({ code: 'UsageError', details: { option: '--chunk-rows' } });
    const loaded = await runCli([
      'load',
      '--data',
      DATA,
      '--chunk-bytes',
      '0',
      '--chunk-rows',
      '2',
      '--json',
      repo,
    ]);
    expect(loaded.code).toBe(0);
    const moves = (loaded.json().tables as Array<{ tableKey: string; from: number; to: number }>)
      .map((t) => [t.tableKey, t.to - t.from])
      .sort();
    // 4 Person, 2 Company, 3 Knows, 2 WorksAt rows, 2 per commit.
    expect(moves).toEqual([
      ['edge:Knows', 2],
      ['edge:WorksAt', 1],
      ['node:Company', 1],
      ['node:Person', 2],
    ]);
  });
});
