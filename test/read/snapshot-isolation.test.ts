/**
 * One snapshot per query, across processes: a reader process looping `repo.query`
 * while a writer process publishes three-table transactions never sees half a
 * publish (issue 13 §1, §7).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { ROOT } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const SCHEMA = `node A { name: String @key
  gen: I32 }
node B { name: String @key
  gen: I32 }
edge L: A -> B
`;

function child(cmd: Record<string, unknown>): {
  done: Promise<{ code: number | null; out: any; err: string }>;
} {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'read', 'snapshot-child.ts'), JSON.stringify(cmd)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; out: any; err: string }>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(out);
      } catch {
        parsed = { raw: out };
      }
      resolve({ code, out: parsed, err });
    });
  });
  return { done };
}

describe('reads see whole publishes only', () => {
  const tmp = useTmpDirs();

  it('a reader process looping while a writer process commits never sees half a publish', async () => {
    const dir = tmp();
    const repoDir = join(dir, 'repo');
    await Repo.init(repoDir, { schemaSource: SCHEMA, schemaFile: 'snap.pg' });
    const repo = await Repo.open(repoDir);
    try {
      await repo.transaction((tx) => {
        tx.insert('A', { name: 'a', gen: 1 });
        tx.insert('B', { name: 'b1', gen: 1 });
        tx.link('L', 'a', 'b1');
      });
    } finally {
      await repo.close();
    }
    const stopFile = join(dir, 'stop');
    const readyFile = join(dir, 'ready');
    const reader = child({ role: 'reader', repo: repoDir, stopFile, readyFile });
    const writer = child({ role: 'writer', repo: repoDir, count: 12, readyFile });
    const w = await writer.done;
    writeFileSync(stopFile, '');
    const r = await reader.done;
    expect(w, w.err).toMatchObject({ code: 0, out: { ok: true } });
    expect(r, r.err).toMatchObject({ code: 0, out: { ok: true, violations: [] } });
    // The reader ran while the writer published: it saw several whole generations.
    expect(r.out.seen.length, JSON.stringify(r.out)).toBeGreaterThanOrEqual(2);
    expect(r.out.seen.every((g: number) => g >= 1 && g <= 13)).toBe(true);
  }, 600_000);
});
