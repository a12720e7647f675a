/**
 * The installed `lancelog` command is the one-file bundle dist/cli/lancelog.mjs
 * (scripts/bundle-cli.ts, built by `npm run build`): it must behave exactly as the CLI
 * run from source, including commands that load Lance and SQLite.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { runProcess } from '../helpers/process.js';
import { useTmpDirs } from '../helpers/tmp.js';

const BUNDLE = join(ROOT, 'dist', 'cli', 'lancelog.mjs');
const makeDir = useTmpDirs();

async function bundled(args: string[]) {
  const r = await runProcess(process.execPath, [BUNDLE, ...args], {
    cwd: ROOT,
    env: process.env,
    timeoutMs: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI bundle (package bin)', () => {
  it('is the package bin and prints the same version and help as the source CLI', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin.lancelog).toBe('dist/cli/lancelog.mjs');
    for (const args of [['version'], ['--help'], ['journal', '--help']]) {
      const [fromBundle, fromSource] = await Promise.all([bundled(args), runCli(args)]);
      expect(fromBundle.code).toBe(0);
      expect(fromBundle.stdout).toBe(fromSource.stdout);
    }
  });

  it('initialises, writes, reads and verifies a repo (Lance, Arrow and SQLite load from node_modules)', async () => {
    const dir = join(makeDir(), 'repo');
    const schema = join(makeDir(), 's.pg');
    writeFileSync(schema, 'node Tag {\n  name: String @key\n}\n');
    expect((await bundled(['init', '--schema', schema, dir])).code).toBe(0);
    const data = join(makeDir(), 'd.jsonl');
    writeFileSync(data, '{"type":"Tag","data":{"name":"a"}}\n{"type":"Tag","data":{"name":"b"}}\n');
    const load = await bundled(['load', '--data', data, '--json', dir]);
    expect(load.code, load.stderr).toBe(0);
    const gq = join(makeDir(), 'q.gq');
    writeFileSync(
      gq,
      'query tags() {\n  match { $t: Tag }\n  return { $t.name }\n  order { $t.name asc }\n}\n',
    );
    const read = await bundled(['read', '--query', gq, '--name', 'tags', '--json', dir]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain('"b"');
    const verify = await bundled(['journal', 'verify', '--json', dir]);
    expect(verify.code, verify.stderr).toBe(0);
  });
});
