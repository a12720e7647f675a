import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogToJSON, compileSchema } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const CONTEXT_PG = join(FIXTURES_DIR, 'omnigraph', 'context.pg');

describe('lancelog init / schema show / version', () => {
  it('version prints the package version', async () => {
    const r = await runCli(['version', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      lancelog: JSON.parse(readFileSync('package.json', 'utf8')).version,
      node: process.version,
    });
  });

  it('init creates the repo and schema show prints the deterministic catalog', async () => {
    const repo = join(tmp(), 'r');
    const init = await runCli(['init', '--schema', CONTEXT_PG, repo, '--json']);
    expect(init.code).toBe(0);
    expect(init.json().tables).toHaveLength(15);
    const show = await runCli(['schema', 'show', '--uri', repo, '--json']);
    expect(show.code).toBe(0);
    expect(show.stdout.trim()).toBe(
      catalogToJSON(compileSchema(readFileSync(CONTEXT_PG, 'utf8'), join(repo, '_schema.pg'))),
    );
    const human = await runCli(['schema', 'show', repo]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('edge OwnedBy: Decision -> Actor @card(1..1)');
  });

  it('init refuses a non-empty directory with a JSON error', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x'), '');
    const r = await runCli(['init', '--schema', CONTEXT_PG, dir, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.json()).toMatchObject({ code: 'RepoNotEmpty', details: { repo: dir } });
  });

  it('a schema error creates nothing and names file, line and column', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.pg');
    writeFileSync(bad, 'node A {\n  x: Vector(0)\n}\n');
    const repo = join(dir, 'repo');
    const r = await runCli(['init', '--schema', bad, repo, '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({
      code: 'InvalidVectorDimension',
      details: { file: bad, line: 2, column: 6, declaration: 'node A' },
    });
    expect(existsSync(repo)).toBe(false);
    const text = await runCli(['init', '--schema', bad, repo]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('error [InvalidVectorDimension]');
    expect(text.stderr).toContain('^');
    expect(text.stderr).not.toContain('    at ');
  });

  it('reports a missing schema file, a missing repo argument and an unknown command', async () => {
    const dir = tmp();
    expect(
      (await runCli(['init', '--schema', join(dir, 'nope.pg'), join(dir, 'r'), '--json'])).json(),
    ).toMatchObject({ code: 'FileNotFound' });
    const noRepo = await runCli(['schema', 'show', '--json']);
    expect(noRepo.code).not.toBe(0);
    expect(noRepo.json().code).toBe('UsageError');
    const unknown = await runCli(['frobnicate', '--json']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.json().code).toBe('UsageError');
    expect((await runCli(['schema', 'show', dir, '--json'])).json()).toMatchObject({
      code: 'NotARepo',
    });
  });

  it('rejects a repo given twice with different values', async () => {
    const r = await runCli(['schema', 'show', '/a', '--uri', '/b', '--json']);
    expect(r.json()).toMatchObject({ code: 'UsageError' });
  });
});
